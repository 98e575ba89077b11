"""What an image does, read from its Dockerfile: its users and their homes, the paths it
creates and who owns them, and whether it copies the whole build context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from devkit.dockerfile import Dockerfile, Instruction, Stage, substitute
from devkit.doctor.shell import brace_expand, commands, norm_path, opt, program, safe_split


def root_user(user: str) -> bool:
    """Whether a USER value (``name[:group]``, a uid, or nothing) means root."""
    name = user.split(":")[0].strip()
    return name in ("", "root", "0")


def copies_everything(ins: Instruction) -> bool:
    """Whether a COPY/ADD copies the whole context (``COPY . .``, ``COPY ./* /app``)."""
    words = ins.json_form() or safe_split(ins.args)
    if ins.heredocs or len(words) < 2:
        return False
    sources = words[:-1]
    return any(src in (".", "./", "*", "./*", "./.") for src in sources)


@dataclass
class ImageFacts:
    """What a dev container's image does that DK011/DK012 need (from its Dockerfile)."""

    user: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str | None] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    uids: dict[str, str] = field(default_factory=dict)
    #: RUN goes through bash/zsh (SHELL […]), so `{a,b}` braces expand; /bin/sh does not.
    braces: bool = False
    #: Ordered events: (kind, path, user_at_the_time, recursive, owner)
    events: list[tuple[str, str, str, bool, str]] = field(default_factory=list)

    @classmethod
    def collect(
        cls, df: Dockerfile | None, stage: Stage | None, args: Mapping[str, str]
    ) -> ImageFacts:
        """Follow ``stage`` (and the stages it builds on) of ``df``, built with ``args``."""
        facts = cls()
        if df is None or stage is None:
            return facts
        facts.variables = {**df.global_args, **args}
        current = "root"
        for st in df.chain(stage):
            for ins in st.instructions:
                vars_now = {**facts.variables, **facts.env}
                if ins.keyword in ("ARG", "ENV"):
                    for name, value in ins.assignments():
                        val = substitute(value, vars_now) if value is not None else None
                        if ins.keyword == "ENV" and val is not None:
                            facts.env[name] = val
                        elif name not in args:
                            facts.variables.setdefault(name, val)
                            if facts.variables.get(name) is None:
                                facts.variables[name] = val
                elif ins.keyword == "USER":
                    current = substitute(ins.args.strip(), vars_now).split(":")[0] or "root"
                    facts.user = current
                elif ins.keyword == "SHELL":
                    facts.braces = any(sh in ins.args for sh in ("bash", "zsh"))
                elif ins.keyword == "WORKDIR":
                    path = substitute(ins.args.strip(), vars_now)
                    facts.events.append(("create", norm_path(path), current, False, ""))
                elif ins.keyword in ("COPY", "ADD") and ins.args:
                    words = ins.json_form() or safe_split(ins.args)
                    if words:
                        dest = substitute(words[-1], vars_now)
                        chown = ins.flag("chown")
                        # COPY ignores USER: without --chown, files belong to root.
                        owner = substitute(chown[0], vars_now).split(":")[0] if chown else "root"
                        facts.events.append(("create", norm_path(dest), owner, True, owner))
                elif ins.keyword == "RUN":
                    facts._run(ins.script(), current, vars_now)
        return facts

    def _run(self, script: str, current: str, variables: Mapping[str, str | None]) -> None:
        home_now = "/root" if root_user(current) else self.homes.get(current, f"/home/{current}")
        for words in commands(script, variables):
            prog = program(words[0])
            expanded = [w2 for w in words for w2 in brace_expand(w)] if self.braces else words
            expanded = [home_now + w[1:] if w.startswith("~/") else w for w in expanded]
            paths = [norm_path(w) for w in expanded[1:] if w.startswith("/")]
            if prog in ("useradd", "adduser"):
                name = next((w for w in reversed(words[1:]) if not w.startswith("-")), "")
                home = opt(words, ("-d", "--home-dir", "--home")) or f"/home/{name}"
                uid = opt(words, ("-u", "--uid"))
                if name:
                    self.homes[name] = home
                    if uid:
                        self.uids[name] = uid
                    if (
                        prog == "adduser"
                        or "-m" in words
                        or "--create-home" in words
                        or any(
                            w.startswith("-") and not w.startswith("--") and "m" in w[1:]
                            for w in words[1:]
                        )
                    ):
                        self.events.append(("create", norm_path(home), name, False, name))
            elif prog == "mkdir":
                for p in paths:
                    self.events.append(("create", p, current, False, ""))
            elif prog == "install" and ("-d" in words or "--directory" in words):
                owner = opt(words, ("-o", "--owner")) or current
                for p in paths:
                    self.events.append(("create", p, owner, False, "exact"))
            elif prog == "chown":
                spec = next((w for w in words[1:] if not w.startswith("-")), "")
                owner = spec.split(":")[0]
                recursive = any(
                    w in ("-R", "--recursive")
                    or (w.startswith("-") and not w.startswith("--") and "R" in w)
                    for w in words[1:]
                )
                for p in paths:
                    self.events.append(("chown", p, owner, recursive, ""))
            elif prog in ("cp", "touch", "ln", "git", "tar", "unzip"):
                for p in paths:
                    self.events.append(("create", p, current, False, "exact"))

    def aliases(self, user: str) -> set[str]:
        """Names and ids that mean ``user``.

        The image's own final non-root USER counts too: devcontainer.json's remoteUser names
        the image's user (often by name while the Dockerfile says ``USER 1000``).
        """
        names = {user}
        if self.user and not root_user(self.user):
            names.add(self.user.split(":")[0])
        if user in self.uids:
            names.add(self.uids[user])
        for name, uid in self.uids.items():
            if uid == user:
                names.add(name)
        return names

    def ownership(self, target: str, aliases: set[str]) -> tuple[bool, bool]:
        """Whether the image creates ``target``, and whether a user in ``aliases`` owns it."""
        created = owned = False
        for kind, path, who, recursive, how in self.events:
            if kind == "create":
                # mkdir -p /a/b/c creates /a/b too (as the current user) if it did not exist.
                exact = path == target
                below = target.startswith(path + "/") if how != "exact" and recursive else False
                creates = exact or (how != "exact" and path.startswith(target + "/"))
                if (creates or below) and not created:
                    created = True
                    owned = who in aliases
            elif kind == "chown" and (
                path == target or (recursive and target.startswith(path + "/"))
            ):
                created = True
                owned = who in aliases
        return created, owned
