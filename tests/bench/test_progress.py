# ruff: noqa: E501  (captured BuildKit output is kept verbatim)
"""Unit tests of the BuildKit plain-progress parser on output captured from a real build.

The captures come from Debian's docker 20.10 client (DOCKER_BUILDKIT=1, --progress=plain) on a
three-stage Dockerfile (deps, tools, dev; stages build in parallel so blocks interleave):

    FROM busybox:latest AS deps
    WORKDIR /app
    COPY requirements.txt ./
    RUN --mount=type=cache,target=/var/cache/x,id=capx echo installing && cat requirements.txt
    FROM busybox:latest AS tools
    RUN echo tools > /tools
    FROM deps AS dev
    COPY --from=tools /tools /tools
    COPY src ./src
    RUN echo built

built with --no-cache (COLD), again unchanged (NOOP), after editing src/a.txt (SOURCE), and a
failing one-stage build (FAIL). The same Dockerfile on Docker 26.1: ``docker buildx build
--progress=plain --no-cache`` (BUILDX_COLD, buildx 0.13: no digest lines, a vertex that
resumes after another is announced again after ``#N ...``), and Compose v2.26's
``docker compose --progress=plain build`` of a service ``dev`` with ``target: dev``, cold
(COMPOSE_COLD) and after editing src/a.txt (COMPOSE_SOURCE), whose vertex names start with the
service. PADDED is buildx 0.13 building a stage of 11 steps with --no-cache: BuildKit pads the
step index to the width of the total (``[dev  2/11]``).

Captured on the same engine (Docker 26.1, buildx 0.13) while other builds ran on it: a step
with the same cache key as a step of another build in progress is merged into it, and that
build's vertex is printed beside ours. MERGED_SAME_NAME is a warm-up build of
tests/bench/test_docker.py's project (FROM busybox AS dev; COPY requirements.txt /app/; RUN
--mount=type=cache...; COPY src /app/src; RUN ls; built with --target dev) while another session
built the same Dockerfile; in MERGED_OTHER_TOTAL the same Dockerfile plus ``RUN touch /b`` (6
steps) met builds of the 5-step one; in MERGED_UNNAMED a single-stage build without a target
(steps ``[n/5]``) met a build whose stage ``dev`` has 4 steps (its ``base`` stage also named
our FROM). TWO_STAGES_SAME_STEP has ``WORKDIR /app`` as the second step of two stages with
different bases (no other build running, --no-cache). CLASSIC_MERGED is Debian 12's docker
20.10 client (DOCKER_BUILDKIT=1 docker build, its own progress printer) on the same engine,
building a single-stage Dockerfile (FROM busybox:latest; COPY requirements.txt /app/; RUN;
COPY src; RUN) while buildx built the bench test's project: its FROM and its COPY of the same
manifest were each merged into that build's ``[dev n/5]`` vertex, which has another digest.
"""

from __future__ import annotations

import pytest

from devkit.bench.progress import ProgressParser, parse_progress, parse_size

COLD = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:5eba6c6e66c89b80d3d19b6ae6e6c71b6afe75990aa07f3cce908318ef767378
#1 transferring dockerfile: 328B done
#1 DONE 0.0s

#2 [internal] load .dockerignore
#2 sha256:2defb0d23da50de5fe97b2585c12e94e28d46de04d598cfcf201484639943d5c
#2 transferring context: 2B done
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/busybox:latest
#3 sha256:da853382a7535e068feae4d80bdd0ad2567df3d5cd484fd68f919294d091b053
#3 DONE 0.0s

#5 [deps 2/4] WORKDIR /app
#5 sha256:ad8dbe728fbd9e06309ca4aa7d2c01b24d34573c11d8b3e433f1d822003dc81d
#5 CACHED

#4 [tools 1/2] FROM docker.io/library/busybox:latest
#4 sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e
#4 CACHED

#6 [internal] load build context
#6 sha256:d696a5341ed07f2c6405af4a938782bb30f44e7a46dbba83f4ffd47a02d796e0
#6 transferring context: 112B done
#6 DONE 0.0s

#7 [deps 3/4] COPY requirements.txt ./
#7 sha256:7c96c5c4df0f92e910a58a518c04c371d2596996b545f509061fd94484a16e94
#7 DONE 0.1s

#9 [tools 2/2] RUN echo tools > /tools
#9 sha256:1c507c799b1658eb651f60cd7a5758dd82534b53ae7ccf121f82f857c16975f7
#9 DONE 0.4s

#8 [deps 4/4] RUN --mount=type=cache,target=/var/cache/x,id=capx echo installing && cat requirements.txt
#8 sha256:805f2888c8ea27e6c599c24726d661c54855969e6abbf80cb65dbb984fad547d
#8 0.398 installing
#8 0.399 flask
#8 DONE 0.4s

#10 [dev 1/3] COPY --from=tools /tools /tools
#10 sha256:95bf6f86a1655c1466e0d8c1fdc8a596ee63d23e96d614387256890911401def
#10 DONE 0.0s

#11 [dev 2/3] COPY src ./src
#11 sha256:b09c4cdfaaf35fde51979939846e2833722261fe8e5b8ff200bf9f20284292bd
#11 DONE 0.0s

#12 [dev 3/3] RUN echo built
#12 sha256:552b46aeb7cf0bd52f6c8f9a3b3a7e608145ae39791f67e507f20b498951dc84
#12 0.261 built
#12 DONE 0.3s

#13 exporting to image
#13 sha256:e8c613e07b0b7ff33893b694f7759a10d42e180f2b4dc349fb57dc6b71dcab00
#13 exporting layers 0.0s done
#13 writing image sha256:93918e44fdec6e2b23e0054e6a85270dc8b0184266fcaf271cb15fcb71b3276e done
#13 naming to docker.io/library/devkit-captest:1 done
#13 DONE 0.0s
"""

NOOP = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:17b2a5b5268cfb29d01a2c37303e3ebd0c0b712bfec827e0f7e66b63758006d6
#1 transferring dockerfile: 32B done
#1 DONE 0.0s

#2 [internal] load .dockerignore
#2 sha256:a94c99d0057b61a4beb1054526bf3b97f434a4b03872fd9b4f2ab24c4a0a208f
#2 transferring context: 2B done
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/busybox:latest
#3 sha256:da853382a7535e068feae4d80bdd0ad2567df3d5cd484fd68f919294d091b053
#3 DONE 0.0s

#4 [tools 1/2] FROM docker.io/library/busybox:latest
#4 sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e
#4 DONE 0.0s

#6 [internal] load build context
#6 sha256:c5b10d2fc68249128a257c6da1f8fe04a0de82257ba89d24ab139c051552070c
#6 transferring context: 88B done
#6 DONE 0.0s

#7 [deps 3/4] COPY requirements.txt ./
#7 sha256:15e5e4a91069f092291051808b11d9d1d24168af2b4bdeb0e8be4a27ea2bfa48
#7 CACHED

#9 [tools 2/2] RUN echo tools > /tools
#9 sha256:1c507c799b1658eb651f60cd7a5758dd82534b53ae7ccf121f82f857c16975f7
#9 CACHED

#10 [dev 1/3] COPY --from=tools /tools /tools
#10 sha256:704a7c4e7a97de95972b1c27d9a7c1441a0316b978c52a781e342f09ac3010bf
#10 CACHED

#11 [dev 2/3] COPY src ./src
#11 sha256:a6ffd490d3354de1925489c27c2d737ebf11dd24427d15369f778c4ebc453a16
#11 CACHED

#8 [deps 4/4] RUN --mount=type=cache,target=/var/cache/x,id=capx echo installing && cat requirements.txt
#8 sha256:1832dde60dbff69fa5de4d3ab55fe7e7a966c1b2322c3001b9e9f13dc6e81c4c
#8 CACHED

#5 [deps 2/4] WORKDIR /app
#5 sha256:ad8dbe728fbd9e06309ca4aa7d2c01b24d34573c11d8b3e433f1d822003dc81d
#5 CACHED

#12 [dev 3/3] RUN echo built
#12 sha256:bd714afde8ea893dee162a6cd7cce580ab60073fd4e4d1ba9d4745732ae40fc6
#12 CACHED

#13 exporting to image
#13 sha256:e8c613e07b0b7ff33893b694f7759a10d42e180f2b4dc349fb57dc6b71dcab00
#13 exporting layers done
#13 writing image sha256:93918e44fdec6e2b23e0054e6a85270dc8b0184266fcaf271cb15fcb71b3276e done
#13 naming to docker.io/library/devkit-captest:1 done
#13 DONE 0.0s
"""

SOURCE = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:2c148f59303d538e51ffd932ffe9b475eca1266375ba94eff701133d4a2bd322
#1 transferring dockerfile: 32B done
#1 DONE 0.0s

#2 [internal] load .dockerignore
#2 sha256:5e87336428780f3f0abb949f5e036b03c5ac9d5cfafeb787f569c5d17c795659
#2 transferring context: 2B done
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/busybox:latest
#3 sha256:da853382a7535e068feae4d80bdd0ad2567df3d5cd484fd68f919294d091b053
#3 DONE 0.0s

#4 [tools 1/2] FROM docker.io/library/busybox:latest
#4 sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e
#4 DONE 0.0s

#6 [internal] load build context
#6 sha256:d08675134bdb0b6e4f70f3c64f1d1403cde1002594803141625d5ece9e95b6a5
#6 transferring context: 102B done
#6 DONE 0.0s

#5 [deps 2/4] WORKDIR /app
#5 sha256:ad8dbe728fbd9e06309ca4aa7d2c01b24d34573c11d8b3e433f1d822003dc81d
#5 CACHED

#8 [deps 4/4] RUN --mount=type=cache,target=/var/cache/x,id=capx echo installing && cat requirements.txt
#8 sha256:fac3f796dc5808a67b59eab8a2c9c90a657bbd8eb5d3e9cb48f4f6d87672edda
#8 CACHED

#9 [tools 2/2] RUN echo tools > /tools
#9 sha256:1c507c799b1658eb651f60cd7a5758dd82534b53ae7ccf121f82f857c16975f7
#9 CACHED

#7 [deps 3/4] COPY requirements.txt ./
#7 sha256:2f9ffdbcf72fb3e53d6d868068daba9c6495900feb8a6449c8b66b8281669d89
#7 CACHED

#10 [dev 1/3] COPY --from=tools /tools /tools
#10 sha256:231fbaec1fd1494df98f4a08e6cbdbe11f44593ff744d37275a19161a2af5eba
#10 CACHED

#11 [dev 2/3] COPY src ./src
#11 sha256:c85e2dd25874f79a2a69c7b513ca95d7aeec206a8da2d1c8351871bfe52d29c7
#11 DONE 0.0s

#12 [dev 3/3] RUN echo built
#12 sha256:d59a42274e891814b046a01a87e5af7265afa72a9390fe22db1b22e3f10a203e
#12 0.185 built
#12 DONE 0.2s

#13 exporting to image
#13 sha256:e8c613e07b0b7ff33893b694f7759a10d42e180f2b4dc349fb57dc6b71dcab00
#13 exporting layers 0.0s done
#13 writing image sha256:d17348afde3796e72d97a601fbfe18c2cf372abee5e932ddc1ef86280610bc17 done
#13 naming to docker.io/library/devkit-captest:1 done
#13 DONE 0.0s
"""

FAIL = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:0c49daf4039efc27e6fde4ffba52571eb190bca2407ad0652189e3f8caf0f3d2
#1 transferring dockerfile: 84B done
#1 DONE 0.0s

#2 [internal] load .dockerignore
#2 sha256:5b2a36e6e2c833990624da69f1ae3dfe6dfdeaa16ad43aff348b0aa7454ec713
#2 transferring context: 2B done
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/busybox:latest
#3 sha256:da853382a7535e068feae4d80bdd0ad2567df3d5cd484fd68f919294d091b053
#3 DONE 0.0s

#4 [1/3] FROM docker.io/library/busybox:latest
#4 sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e
#4 CACHED

#5 [2/3] RUN echo before
#5 sha256:73b6138b8f5c9f5eaca43f3d9dbf297fd395ff322d1a05277e4e84d484f1bb22
#5 0.195 before
#5 DONE 0.2s

#6 [3/3] RUN exit 3
#6 sha256:c04ee266ccd515e49f2d84be8f70bcc68d2e24126785bb0008b11839a07f5d3a
#6 ERROR: executor failed running [/bin/sh -c exit 3]: exit code: 3
------
 > [3/3] RUN exit 3:
------
executor failed running [/bin/sh -c exit 3]: exit code: 3
"""


BUILDX_COLD = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 328B done
#1 DONE 0.1s

#2 [internal] load metadata for docker.io/library/busybox:latest
#2 DONE 0.0s

#3 [internal] load .dockerignore
#3 transferring context: 2B done
#3 DONE 0.0s

#4 [tools 1/2] FROM docker.io/library/busybox:latest
#4 CACHED

#5 [internal] load build context
#5 transferring context: 112B done
#5 DONE 0.0s

#6 [deps 2/4] WORKDIR /app
#6 DONE 0.1s

#7 [tools 2/2] RUN echo tools > /tools
#7 ...

#8 [deps 3/4] COPY requirements.txt ./
#8 DONE 0.0s

#9 [deps 4/4] RUN --mount=type=cache,target=/var/cache/x,id=capx echo installing && cat requirements.txt
#9 ...

#7 [tools 2/2] RUN echo tools > /tools
#7 DONE 0.4s

#9 [deps 4/4] RUN --mount=type=cache,target=/var/cache/x,id=capx echo installing && cat requirements.txt
#9 0.337 installing
#9 0.337 flask
#9 DONE 0.4s

#10 [dev 1/3] COPY --from=tools /tools /tools
#10 DONE 0.0s

#11 [dev 2/3] COPY src ./src
#11 DONE 0.0s

#12 [dev 3/3] RUN echo built
#12 0.158 built
#12 DONE 0.2s

#13 exporting to image
#13 exporting layers 0.1s done
#13 writing image sha256:bd881523a411cadd729bb01b1d21dc28d0e893c5bbfab2d5e66a46b6c20a6ee1 done
#13 naming to docker.io/library/devkit-captest:1 done
#13 DONE 0.2s
"""

COMPOSE_COLD = """\
#0 building with "default" instance using docker driver

#1 [dev internal] load build definition from Dockerfile
#1 transferring dockerfile: 328B done
#1 DONE 0.0s

#2 [dev internal] load metadata for docker.io/library/busybox:latest
#2 DONE 0.0s

#3 [dev internal] load .dockerignore
#3 transferring context: 2B done
#3 DONE 0.0s

#4 [dev deps 2/4] WORKDIR /app
#4 CACHED

#5 [dev tools 1/2] FROM docker.io/library/busybox:latest
#5 CACHED

#6 [dev internal] load build context
#6 transferring context: 88B done
#6 DONE 0.0s

#7 [dev deps 3/4] COPY requirements.txt ./
#7 DONE 0.0s

#8 [dev deps 4/4] RUN --mount=type=cache,target=/var/cache/x,id=capx echo installing && cat requirements.txt
#8 0.244 installing
#8 0.244 flask
#8 DONE 0.3s

#9 [dev tools 2/2] RUN echo tools > /tools
#9 DONE 0.4s

#10 [dev dev 1/3] COPY --from=tools /tools /tools
#10 DONE 0.0s

#11 [dev dev 2/3] COPY src ./src
#11 DONE 0.0s

#12 [dev dev 3/3] RUN echo built
#12 0.297 built
#12 DONE 0.3s

#13 [dev] exporting to image
#13 exporting layers 0.1s done
#13 writing image sha256:f132b3a081fa754e7c25532adec8e03d6edbadbe2cd67bdb72013d72a2559ce9 done
#13 naming to docker.io/library/devkit-captest:2 done
#13 DONE 0.1s
"""

COMPOSE_SOURCE = """\
#0 building with "default" instance using docker driver

#1 [dev internal] load build definition from Dockerfile
#1 transferring dockerfile: 328B done
#1 DONE 0.0s

#2 [dev internal] load metadata for docker.io/library/busybox:latest
#2 DONE 0.0s

#3 [dev internal] load .dockerignore
#3 transferring context: 2B done
#3 DONE 0.0s

#4 [dev tools 1/2] FROM docker.io/library/busybox:latest
#4 DONE 0.0s

#5 [dev internal] load build context
#5 transferring context: 102B done
#5 DONE 0.0s

#6 [dev deps 2/4] WORKDIR /app
#6 CACHED

#7 [dev deps 4/4] RUN --mount=type=cache,target=/var/cache/x,id=capx echo installing && cat requirements.txt
#7 CACHED

#8 [dev tools 2/2] RUN echo tools > /tools
#8 CACHED

#9 [dev deps 3/4] COPY requirements.txt ./
#9 CACHED

#10 [dev dev 1/3] COPY --from=tools /tools /tools
#10 CACHED

#11 [dev dev 2/3] COPY src ./src
#11 DONE 0.0s

#12 [dev dev 3/3] RUN echo built
#12 0.176 built
#12 DONE 0.2s

#13 [dev] exporting to image
#13 exporting layers 0.0s done
#13 writing image sha256:f7f5efbc72996ecf01912068932429a80edd2c93debf67b4bd614f3331911da8 done
#13 naming to docker.io/library/devkit-captest:2 done
#13 DONE 0.0s
"""


MERGED_SAME_NAME = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 292B done
#1 DONE 0.1s

#2 [internal] load metadata for docker.io/library/busybox:latest
#2 DONE 0.0s

#3 [internal] load .dockerignore
#3 transferring context:
#3 transferring context: 52B done
#3 DONE 0.1s

#4 [dev 1/5] FROM docker.io/library/busybox:latest
#4 DONE 0.0s

#5 [dev 2/5] COPY requirements.txt /app/
#5 CACHED

#6 [internal] load build context
#6 transferring context: 321B done
#6 DONE 0.0s

#7 [dev 2/5] COPY requirements.txt /app/
#7 CACHED

#8 [dev 3/5] RUN --mount=type=cache,target=/devkit-test-cache-81ccefd9 cp /app/requirements.txt /devkit-test-cache-81ccefd9/seen && cat /app/requirements.txt > /deps
#8 DONE 0.6s

#9 [dev 4/5] COPY src /app/src
#9 DONE 0.1s

#10 [dev 5/5] RUN ls /app/src > /listing
#10 DONE 0.5s

#11 exporting to image
#11 exporting layers 0.1s done
#11 writing image sha256:ba8197fec9994a2504108796250c4a8e4a67b5f5a34d5c3e305bfbe9faceb862 done
#11 naming to docker.io/library/devkit-bench:f67abb6475-0-warmup-1 done
#11 DONE 0.1s
"""

MERGED_OTHER_TOTAL = """\
#0 building with "default" instance using docker driver

#1 [dev 1/5] FROM docker.io/library/busybox:latest
#1 DONE 0.0s

#2 [dev 2/5] COPY requirements.txt /app/
#2 CACHED

#3 [internal] load build definition from Dockerfile.b
#3 transferring dockerfile: 307B done
#3 DONE 0.0s

#4 [internal] load metadata for docker.io/library/busybox:latest
#4 DONE 0.0s

#5 [internal] load .dockerignore
#5 transferring context: 52B done
#5 DONE 0.0s

#6 [internal] load build context
#6 transferring context: 210B done
#6 DONE 0.0s

#7 [dev 3/6] RUN --mount=type=cache,target=/devkit-test-cache-cfa148f4 cp /app/requirements.txt /devkit-test-cache-cfa148f4/seen && cat /app/requirements.txt > /deps
#7 CACHED

#8 [dev 4/6] COPY src /app/src
#8 CACHED

#9 [dev 5/6] RUN ls /app/src > /listing
#9 CACHED

#10 [dev 2/6] COPY requirements.txt /app/
#10 CACHED

#11 [dev 6/6] RUN touch /b
#11 CACHED

#12 exporting to image
#12 exporting layers done
#12 writing image sha256:0b28bda70165016f86f468d7f0352ea616e655bf33a9b8af7b14633862214261
#12 writing image sha256:0b28bda70165016f86f468d7f0352ea616e655bf33a9b8af7b14633862214261 0.0s done
#12 naming to docker.io/library/devkit-bench:c9397d8305-1-noop-1 0.0s done
#12 DONE 0.1s
"""

MERGED_UNNAMED = """\
#0 building with "default" instance using docker driver

#1 [base 1/2] FROM docker.io/library/busybox:latest
#1 CACHED

#2 [internal] load build definition from Dockerfile
#2 transferring dockerfile: 177B 0.0s done
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/busybox:latest
#3 DONE 0.0s

#4 [internal] load .dockerignore
#4 transferring context: 2B done
#4 DONE 0.0s

#5 [dev 3/4] RUN cat /app/requirements.txt > /deps
#5 CACHED

#6 [internal] load build context
#6 transferring context: 87B 0.0s done
#6 DONE 0.0s

#7 [4/5] COPY src /app/src
#7 CACHED

#8 [3/5] RUN cat /app/requirements.txt > /deps
#8 CACHED

#9 [2/5] COPY requirements.txt /app/
#9 CACHED

#10 [5/5] RUN ls /app/src > /listing
#10 CACHED
"""

TWO_STAGES_SAME_STEP = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 260B done
#1 DONE 0.0s

#2 [internal] load metadata for docker.io/library/busybox:latest
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/debian:bookworm-slim
#3 DONE 0.0s

#4 [internal] load .dockerignore
#4 transferring context:
#4 transferring context: 2B 0.0s done
#4 DONE 0.1s

#5 [web 1/3] FROM docker.io/library/busybox:latest
#5 CACHED

#6 [api 1/3] FROM docker.io/library/debian:bookworm-slim
#6 CACHED

#7 [web 2/3] WORKDIR /app
#7 CACHED

#8 [api 2/3] WORKDIR /app
#8 DONE 0.0s

#9 [api 3/3] RUN echo api > /app/api
#9 ...

#10 [web 3/3] RUN echo web > /app/web
#10 DONE 0.6s

#9 [api 3/3] RUN echo api > /app/api
#9 DONE 0.6s

#11 [dev 2/3] COPY --from=web /app/web /web
#11 DONE 0.0s

#12 [dev 3/3] COPY --from=api /app/api /api
#12 DONE 0.0s
"""

CLASSIC_MERGED = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:de03784a738ef7cfd75303d80615e2a5f271ee6c90120fd3185386b5c456e729
#1 transferring dockerfile: 177B 0.1s done
#1 DONE 0.2s

#2 [internal] load metadata for docker.io/library/busybox:latest
#2 sha256:a7e6d358447dde8994bd69f4f667e6fe2d033c5d08430a28aff06632d9d84400
#2 DONE 0.0s

#3 [internal] load .dockerignore
#3 sha256:2924c5ddca4a7fb041136a4893c51250070506263082c681aece6320487447f1
#3 transferring context: 2B 0.0s done
#3 DONE 0.1s

#9 [dev 1/5] FROM docker.io/library/busybox:latest
#9 sha256:01bb62ebfebf54d528c23d3e02aea642cdd6cd9fd4a673085ec7942d045ee3b9
#9 DONE 0.0s

#10 [1/5] FROM docker.io/library/busybox:latest
#10 sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e
#10 DONE 0.0s

#8 [internal] load build context
#8 sha256:c1b3b9f133a9d2082d9e73e951ca9a579abba5886de9cd6cc43c1e8f2d595fe0
#8 transferring context: 87B 0.1s done
#8 DONE 0.2s

#11 [dev 2/5] COPY requirements.txt /app/
#11 sha256:b26fbdc70a286277910912c688e9c701b48cf955ccb52c68097cb95d7e07c3ab
#11 CACHED

#7 [2/5] COPY requirements.txt /app/
#7 sha256:7d575d6d30ddba0529dafeab0ec4ec63da7cd257043eadd6097b3bfeafda8791
#7 CACHED

#6 [3/5] RUN cat /app/requirements.txt > /deps
#6 sha256:782b16bc68ff04a414a61e741a90e57c8d57dbdaed3f8bd32f1d83be44dcfa96
#6 CACHED

#5 [4/5] COPY src /app/src
#5 sha256:edda6edb75d191d2fbbc05431b085a0901e05f05cad1526dbb3ab404a454b515
#5 CACHED

#4 [5/5] RUN ls /app/src > /listing
#4 sha256:5674f64e6301184b8cfbdbbc5eb55352a553c6f651a26a67e2e955a800f5132e
#4 CACHED

#12 exporting to client tarball
#12 sha256:bfd853308ebf09d2ee9af4787631c6c25282d64ec19227f6bff01c4997dafb85
#12 sending tarball
#12 sending tarball 0.3s done
#12 DONE 0.5s
"""

PADDED = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile:
#1 transferring dockerfile: 298B 0.0s done
#1 DONE 0.0s

#2 [internal] load metadata for docker.io/library/busybox:latest
#2 DONE 0.0s

#3 [internal] load .dockerignore
#3 transferring context: 2B 0.0s done
#3 DONE 0.0s

#4 [base 1/2] FROM docker.io/library/busybox:latest
#4 CACHED

#5 [dev  2/11] RUN echo 1 > /f1
#5 ...

#6 [base 2/2] RUN echo base > /base
#6 DONE 0.6s

#5 [dev  2/11] RUN echo 1 > /f1
#5 DONE 0.6s

#7 [dev  3/11] RUN echo 2 > /f2
#7 DONE 0.6s

#8 [dev  4/11] RUN echo 3 > /f3
#8 DONE 0.6s

#9 [dev  5/11] RUN echo 4 > /f4
#9 DONE 0.7s

#10 [dev  6/11] RUN echo 5 > /f5
#10 DONE 0.7s

#11 [dev  7/11] RUN echo 6 > /f6
#11 DONE 0.7s

#12 [dev  8/11] RUN echo 7 > /f7
#12 DONE 0.5s

#13 [dev  9/11] RUN echo 8 > /f8
#13 DONE 0.6s

#14 [dev 10/11] RUN echo 9 > /f9
#14 DONE 0.8s

#15 [dev 11/11] COPY --from=base /base /base
#15 DONE 0.2s
"""


def test_cold_build_counts_steps_and_context() -> None:
    progress = parse_progress(COLD)
    names = [v.instruction for v in progress.steps]
    assert len(names) == 8  # FROM (shared by deps/tools) + 3 deps + 1 tools + 3 dev
    assert progress.steps_total == 8
    # --no-cache: only the local base image and the no-op WORKDIR report CACHED.
    assert progress.steps_cached == 2
    assert {v.instruction for v in progress.steps if v.counts_as_cached} == {
        "FROM docker.io/library/busybox:latest",
        "WORKDIR /app",
    }
    assert progress.context_bytes == 112
    assert progress.errors == []
    run = next(v for v in progress.steps if v.instruction.startswith("RUN --mount"))
    assert run.stage == "deps"
    assert run.duration == pytest.approx(0.4)
    assert run.logs == 2


def test_noop_rebuild_is_fully_cached() -> None:
    progress = parse_progress(NOOP)
    assert progress.steps_total == 8
    # The FROM of a local image prints "DONE 0.0s" here, not CACHED: it did no work.
    assert progress.steps_cached == 8
    assert progress.cache_hit_rate == 1.0
    assert progress.context_bytes == 88


def test_source_edit_rebuilds_from_the_copy_of_the_source() -> None:
    progress = parse_progress(SOURCE)
    rebuilt = [v.instruction for v in progress.steps if not v.counts_as_cached]
    assert rebuilt == ["COPY src ./src", "RUN echo built"]
    assert progress.steps_cached == 6
    assert progress.cache_hit_rate == pytest.approx(6 / 8)


def test_buildx_output_reads_like_the_classic_one() -> None:
    progress = parse_progress(BUILDX_COLD)
    assert progress.steps_total == 8
    assert progress.steps_cached == 1  # the local FROM; buildx ran the WORKDIR this time
    assert progress.context_bytes == 112
    assert progress.errors == []
    run = next(v for v in progress.steps if v.instruction.startswith("RUN --mount"))
    assert (run.stage, run.duration, run.logs) == ("deps", 0.4, 2)
    assert not any(v.is_step for v in progress.vertexes.values() if v.id == 0)


def test_compose_v2_output_names_the_service_first() -> None:
    cold = parse_progress(COMPOSE_COLD)
    assert cold.steps_total == 8
    assert cold.steps_cached == 2
    assert cold.context_bytes == 88
    assert {v.stage for v in cold.steps} == {"deps", "tools", "dev"}
    assert "RUN echo built" in [v.instruction for v in cold.steps]
    source = parse_progress(COMPOSE_SOURCE)
    rebuilt = [v.instruction for v in source.steps if not v.counts_as_cached]
    assert rebuilt == ["COPY src ./src", "RUN echo built"]
    assert source.context_bytes == 102


def test_failed_build_reports_the_error() -> None:
    progress = parse_progress(FAIL)
    assert progress.steps_total == 3
    assert len(progress.errors) == 1
    assert "exit code: 3" in progress.errors[0]
    assert progress.errors[0].startswith("[3/3] RUN exit 3")


def test_incremental_feed_matches_whole_parse() -> None:
    parser = ProgressParser()
    updated = [parser.feed(line) for line in SOURCE.splitlines(keepends=True)]
    assert any(v is not None and v.is_step for v in updated)
    assert parser.progress.steps_cached == parse_progress(SOURCE).steps_cached
    assert parser.feed("not a progress line") is None


def test_a_from_that_downloads_is_not_cached() -> None:
    text = (
        "#4 [1/2] FROM docker.io/library/python:3.12\n"
        "#4 resolve docker.io/library/python:3.12 0.4s done\n"
        "#4 sha256:" + "a" * 64 + " 10.49MB / 49.56MB 0.9s\n"
        "#4 DONE 4.1s\n"
    )
    progress = parse_progress(text)
    assert progress.steps_total == 1
    assert progress.steps_cached == 0


def test_a_local_from_the_containerd_store_resolves_and_is_cached() -> None:
    # Docker 26 with the containerd image store: a local base image is resolved, not pulled.
    text = (
        "#4 [1/2] FROM docker.io/library/busybox:latest@sha256:" + "b" * 64 + "\n"
        "#4 resolve docker.io/library/busybox:latest@sha256:" + "b" * 64 + " 0.0s done\n"
        "#4 DONE 0.0s\n"
    )
    progress = parse_progress(text)
    assert (progress.steps_total, progress.steps_cached) == (1, 1)


@pytest.mark.parametrize(
    ("number", "unit", "expected"),
    [("2", "B", 2), ("300.23", "kB", 300230), ("1.5", "MB", 1_500_000), ("1", "GiB", 1024**3)],
)
def test_sizes_use_docker_units(number: str, unit: str, expected: int) -> None:
    assert parse_size(number, unit) == expected


def test_context_progress_updates_keep_the_last_value() -> None:
    text = (
        "#6 [internal] load build context\n"
        "#6 transferring context: 12.58MB 5.0s\n"
        "#6 transferring context: 45.10MB 9.8s done\n"
        "#6 DONE 9.9s\n"
    )
    assert parse_progress(text).context_bytes == 45_100_000


def test_a_step_merged_into_another_builds_counts_once() -> None:
    """The other build's vertex has our step's very name: one step, as the Dockerfile has."""
    progress = parse_progress(MERGED_SAME_NAME)
    assert [
        v.id for v in progress.vertexes.values() if v.name.endswith("COPY requirements.txt /app/")
    ] == [5, 7]
    assert [v.instruction for v in progress.steps] == [
        "FROM docker.io/library/busybox:latest",
        "COPY requirements.txt /app/",
        "RUN --mount=type=cache,target=/devkit-test-cache-81ccefd9 cp /app/requirements.txt /devkit-test-cache-81ccefd9/seen && cat /app/requirements.txt > /deps",
        "COPY src /app/src",
        "RUN ls /app/src > /listing",
    ]
    assert progress.steps_total == 5
    assert progress.steps_cached == 2  # the local FROM and the manifest's COPY
    assert progress.context_bytes == 321


def test_a_merged_step_named_by_a_longer_or_unnamed_build_counts_once() -> None:
    # Ours is [dev 2/6], the other build's [dev 2/5]; our FROM is named [dev 1/5] by it too.
    other_total = parse_progress(MERGED_OTHER_TOTAL)
    assert other_total.steps_total == 6
    assert other_total.steps_cached == 6
    assert [v.index for v in other_total.steps] == [1, 2, 3, 4, 5, 6]
    # Ours is [3/5] (no stage), the other build's [dev 3/4].
    unnamed = parse_progress(MERGED_UNNAMED)
    assert sum(v.is_step for v in unnamed.vertexes.values()) == 6
    assert unnamed.steps_total == 5
    assert unnamed.steps_cached == 5
    assert sorted(v.index or 0 for v in unnamed.steps) == [1, 2, 3, 4, 5]


def test_a_merged_step_is_cached_only_when_both_vertexes_say_so() -> None:
    text = MERGED_SAME_NAME.replace("#5 CACHED", "#5 DONE 1.5s")
    progress = parse_progress(text)
    copy = next(v for v in progress.steps if v.instruction == "COPY requirements.txt /app/")
    assert (copy.cached, copy.duration) == (False, 1.5)
    assert progress.steps_total == 5 and progress.steps_cached == 1


def test_the_same_step_in_two_stages_counts_twice() -> None:
    progress = parse_progress(TWO_STAGES_SAME_STEP)
    # busybox is the FROM of web and dev (one vertex), debian the FROM of api.
    assert [v.name for v in progress.steps if v.instruction == "WORKDIR /app"] == [
        "[web 2/3] WORKDIR /app",
        "[api 2/3] WORKDIR /app",
    ]
    assert progress.steps_total == 8
    assert progress.steps_cached == 3


def test_padded_step_numbers_of_long_stages_are_steps() -> None:
    progress = parse_progress(PADDED)
    assert progress.steps_total == 12  # base 1-2 (its FROM is dev's too), dev 2-11
    assert [v.index for v in progress.steps if v.stage == "dev"] == list(range(2, 12))
    assert progress.steps_cached == 1
    assert progress.vertexes[5].instruction == "RUN echo 1 > /f1"


def test_classic_client_output_with_merged_steps_counts_each_step_once() -> None:
    progress = parse_progress(CLASSIC_MERGED)
    assert sum(v.is_step for v in progress.vertexes.values()) == 7
    assert [v.name for v in progress.steps] == [
        "[dev 1/5] FROM docker.io/library/busybox:latest",
        "[dev 2/5] COPY requirements.txt /app/",
        "[3/5] RUN cat /app/requirements.txt > /deps",
        "[4/5] COPY src /app/src",
        "[5/5] RUN ls /app/src > /listing",
    ]
    assert progress.steps_cached == 5
    assert progress.context_bytes == 87
