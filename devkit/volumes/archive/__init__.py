"""The devkit volume backup format: a compressed tar stream with a manifest trailer.

A backup file is, byte for byte::

    <payload>   the volume's tar stream exactly as the Engine API produced it, compressed
                (one zstd frame by default, or one gzip member)
    <trailer>   the manifest (JSON) inside a frame that decompressors skip:
                zstd: a *skippable frame* (magic 0x184D2A5D);
                gzip: an empty gzip member whose header COMMENT field holds the manifest

So ``zstd -dc FILE | tar -x`` (or ``gzip -dc FILE | tar -x``) restores a backup without
devkit: the decompressor outputs the tar and ignores the trailer. The manifest sits at the
end because its checksum and counts are only known once the stream has passed, which lets
a backup be written to a pipe (``-o -``) without a temporary copy.

The trailer's manifest text ends with a fixed footer ``\\nDEVKIT-MANIFEST <10-digit length>
END\\n`` so a reader finds it by reading the file's last few kilobytes. ``sha256`` is the
SHA-256 of the compressed payload (the file's first ``compressed_bytes`` bytes).

This package knows nothing about Docker (it imports nothing from docker, the engine or the
rest of devkit.volumes): it turns chunks of tar into a backup file and back, and checks every
tar member before anything is written anywhere. :mod:`.tar` follows a tar stream by its
headers, :mod:`.policy` says which members a restore may write, :mod:`.writer` makes a
backup file and :mod:`.reader` reads, checks and verifies one.
"""

from __future__ import annotations

from devkit.volumes.archive.policy import MemberPolicy
from devkit.volumes.archive.reader import (
    BackupFile,
    iter_tar,
    read_manifest,
    verify,
)
from devkit.volumes.archive.tar import (
    BLOCKDEV,
    CHARDEV,
    DIRECTORY,
    FIFO,
    GNU_LONGLINK,
    GNU_LONGNAME,
    HARDLINK,
    PAX_GLOBAL,
    PAX_LOCAL,
    REGULAR,
    SYMLINK,
    Member,
    TarStats,
    TarWalker,
    rebase,
)
from devkit.volumes.archive.writer import (
    CHUNK,
    COMPRESSIONS,
    DEFAULT_LEVELS,
    EXTENSIONS,
    FORMAT_NAME,
    FORMAT_VERSION,
    GZIP_MAGIC,
    LEVELS,
    MANIFEST_SCHEMA,
    SKIPPABLE_MAGIC,
    ZSTD_MAGIC,
    ProgressFn,
    check_level,
    write_backup,
    zstd_threads,
)

__all__ = [
    "BLOCKDEV",
    "CHARDEV",
    "CHUNK",
    "COMPRESSIONS",
    "DEFAULT_LEVELS",
    "DIRECTORY",
    "EXTENSIONS",
    "FIFO",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "GNU_LONGLINK",
    "GNU_LONGNAME",
    "GZIP_MAGIC",
    "HARDLINK",
    "LEVELS",
    "MANIFEST_SCHEMA",
    "PAX_GLOBAL",
    "PAX_LOCAL",
    "REGULAR",
    "SKIPPABLE_MAGIC",
    "SYMLINK",
    "ZSTD_MAGIC",
    "BackupFile",
    "Member",
    "MemberPolicy",
    "ProgressFn",
    "TarStats",
    "TarWalker",
    "check_level",
    "iter_tar",
    "read_manifest",
    "rebase",
    "verify",
    "write_backup",
    "zstd_threads",
]
