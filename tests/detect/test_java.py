"""The Java stack (devkit/detect/java.py)."""

from __future__ import annotations

from pathlib import Path

from .detect_helpers import detected, write

POM = """<project>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
  </properties>
  <modules>
    <module>core</module>
  </modules>
</project>
"""


def test_maven_release_is_a_minimum(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pom.xml": POM,
            "core/pom.xml": "<project/>",
            ".mvn/wrapper/maven-wrapper.properties": "distributionUrl=https://repo/apache-maven-3.9.9-bin.zip\n",
        },
    )
    stack = detected(tmp_path).stacks["java"]
    assert stack.manager is not None and stack.manager.value == "maven"
    assert stack.manager_version is not None and stack.manager_version.value == "3.9.9"
    assert stack.version is not None
    assert (stack.version.value, str(stack.version.source)) == (
        "25",
        "pom.xml:3 (maven.compiler.release)",
    )
    assert stack.manifests == ["pom.xml", ".mvn/wrapper/maven-wrapper.properties", "core/pom.xml"]


def test_maven_toolchains_pin(tmp_path: Path) -> None:
    pom = POM.replace("<modules>", "<build><plugins><plugin><configuration><toolchains><jdk>\n"
                      "<version>[21,)</version></jdk></toolchains></configuration></plugin>"
                      "</plugins></build><modules>")  # fmt: skip
    write(tmp_path, {"pom.xml": pom})
    version = detected(tmp_path).stacks["java"].version
    assert version is not None and (version.value, version.reason) == ("21", "pinned")


def test_gradle_toolchain_is_a_pin_and_both_builds_are_a_conflict(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "settings.gradle.kts": 'rootProject.name = "x"\n',
            "build.gradle.kts": "java {\n    toolchain {\n"
            "        languageVersion = JavaLanguageVersion.of(21)\n    }\n}\n"
            "java.sourceCompatibility = JavaVersion.VERSION_17\n",
            "pom.xml": "<project/>",
            "gradle/wrapper/gradle-wrapper.properties": "distributionUrl=https\\://x/gradle-8.10.2-bin.zip\n",
            "app/build.gradle.kts": "",
        },
    )
    found = detected(tmp_path)
    stack = found.stacks["java"]
    assert stack.manager is not None and stack.manager.value == "gradle"
    assert stack.manager_version is not None and stack.manager_version.value == "8.10.2"
    assert stack.version is not None
    assert (stack.version.value, str(stack.version.source)) == (
        "21",
        "build.gradle.kts:3 (toolchain)",
    )
    assert [c.what for c in found.conflicts] == ["java build tool"]
    assert "app/build.gradle.kts" in stack.manifests
