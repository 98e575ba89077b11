"""The Java stack: Maven or Gradle, and the JDK they ask for.

Maven: ``maven.compiler.release``/``source``/``target``, ``java.version`` and the compiler
plugin's ``<release>`` are minimums (any newer JDK compiles for them); a maven-toolchains-plugin
``<jdk><version>`` is a pin. Gradle: ``JavaLanguageVersion.of(N)`` and Kotlin's
``jvmToolchain(N)`` are pins (Gradle insists on that JDK); ``sourceCompatibility`` /
``targetCompatibility`` / ``jvmTarget`` are minimums. The wrappers' distribution URLs give the
build tools' own versions.
"""

from __future__ import annotations

import re

from devkit.detect.context import Context
from devkit.detect.model import PIN, RANGE, Conflict, Constraint, Fact, Source, Stack
from devkit.detect.reader import Repo

_GRADLE_FILES = ("settings.gradle.kts", "settings.gradle", "build.gradle.kts", "build.gradle")
_MAVEN_MINIMUMS = re.compile(
    r"<(maven\.compiler\.release|maven\.compiler\.source|maven\.compiler\.target|java\.version|"
    r"release)>\s*([\d.]+)\s*</"
)
_MAVEN_TOOLCHAIN = re.compile(r"<jdk>\s*<version>\s*\[?([\d.]+)", re.DOTALL)
_GRADLE_PINS = re.compile(r"JavaLanguageVersion\.of\(\s*['\"]?(\d+)|jvmToolchain\(\s*(\d+)")
_GRADLE_MINIMUMS = re.compile(
    r"(?:sourceCompatibility|targetCompatibility|jvmTarget)\s*[=.(]\s*(?:set\()?\s*"
    r"(?:JavaVersion\.VERSION_|JvmTarget\.JVM_)?['\"]?(1[._]8|\d+)"
)
_WRAPPERS = (
    (".mvn/wrapper/maven-wrapper.properties", r"apache-maven-([\d.]+)-bin"),
    ("gradle/wrapper/gradle-wrapper.properties", r"gradle-([\d.]+)-(?:bin|all)\.zip"),
)


def detect(ctx: Context) -> Stack | None:
    """The Java stack, or None without a pom.xml or Gradle build at the root."""
    repo, pins, ci, conflicts = ctx.repo, ctx.pins, ctx.ci, ctx.conflicts
    gradle = [f for f in _GRADLE_FILES if repo.is_file(f)]
    maven = repo.is_file("pom.xml")
    if not gradle and not maven:
        return None
    stack = Stack("java", evidence=(["pom.xml"] if maven else []) + gradle)
    tool = "gradle" if gradle else "maven"
    stack.manager = Fact(tool, Source(gradle[0] if gradle else "pom.xml"))
    if gradle and maven:
        conflicts.append(
            Conflict(
                "java build tool",
                f"both pom.xml and {gradle[0]} exist; using gradle",
                ("pom.xml", gradle[0]),
            )
        )
    found: list[Constraint] = []
    for rel in gradle if tool == "gradle" else ["pom.xml"]:
        found += _constraints(repo, rel)
    ordered = (
        [c for c in found if c.kind == PIN]
        + pins.get("java", [])
        + [c for c in found if c.kind != PIN]
    )
    stack.version = ctx.resolve("java", [*ordered, *ci.get("java", [])])
    for rel, pattern in _WRAPPERS:
        match = re.search(pattern, repo.text(rel) or "")
        if match and rel.startswith(".mvn" if tool == "maven" else "gradle"):
            stack.manager_version = Fact(match.group(1), Source(rel, repo.line_of(rel, pattern)))
    if tool == "maven":
        names = [
            "pom.xml",
            ".mvn/maven.config",
            ".mvn/jvm.config",
            ".mvn/wrapper/maven-wrapper.properties",
        ]
        modules = re.findall(r"<module>\s*([^<\s]+)\s*</module>", repo.text("pom.xml") or "")
        names += [f"{m.rstrip('/')}/pom.xml" for m in modules]
    else:
        names = [*gradle, "gradle.properties", "gradle/libs.versions.toml",
                 "gradle/wrapper/gradle-wrapper.properties"]  # fmt: skip
        names += repo.glob("*/build.gradle") + repo.glob("*/build.gradle.kts")
    stack.manifests = [f for f in dict.fromkeys(names) if repo.is_file(f)]
    return stack


def _constraints(repo: Repo, rel: str) -> list[Constraint]:
    text = repo.text(rel) or ""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if rel == "pom.xml":
            for match in _MAVEN_MINIMUMS.finditer(line):
                found.append(
                    Constraint("java", match.group(2), RANGE, Source(rel, number, match.group(1)))
                )
        else:
            for match in _GRADLE_PINS.finditer(line):
                value = match.group(1) or match.group(2)
                found.append(Constraint("java", value, PIN, Source(rel, number, "toolchain")))
            for match in _GRADLE_MINIMUMS.finditer(line):
                value = match.group(1).replace("_", ".")
                found.append(Constraint("java", value, RANGE, Source(rel, number)))
    if rel == "pom.xml":
        for match in _MAVEN_TOOLCHAIN.finditer(text):
            number = text.count("\n", 0, match.start()) + 1
            found.append(Constraint("java", match.group(1), PIN, Source(rel, number, "toolchains")))
    return found
