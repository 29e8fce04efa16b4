"""The Android library as an app developer gets it from a Maven repository (#18 item 8), checked
from a local publish of the JVM build (android/scripts/publish-jvm-aar.py): the repository layout
and metadata, the POM's dependencies against the version catalogue, and the AAR's manifest,
classes, core library, consumer R8 rules and sources.

Needs the core built (CHARGEKIT_TARGET, default target/debug) and the Kotlin suite's classes
(tests/kotlin/target/classes); ./tests/run runs this after the Kotlin stage.
"""

import hashlib
import os
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANDROID = REPO / "android"
SCRIPT = ANDROID / "scripts" / "publish-jvm-aar.py"
TARGET = Path(os.environ.get("CHARGEKIT_TARGET", REPO / "target" / "debug"))
CLASSES = REPO / "tests" / "kotlin" / "target" / "classes"
BINDINGS = REPO / "tests" / "kotlin" / "target" / "generated-sources" / "uniffi"
POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"


def publish(repository: Path, **overrides) -> subprocess.CompletedProcess:
    arguments = {"classes": CLASSES, "bindings": BINDINGS, "core-library": TARGET / "libchargekit_core.so",
                 "abi": "x86_64", "repository": repository} | overrides
    command = [sys.executable, str(SCRIPT)]
    for name, value in arguments.items():
        command += [f"--{name}", str(value)]
    return subprocess.run(command, capture_output=True, text=True)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The published version's directory in a fresh local repository."""
    repository = tmp_path_factory.mktemp("maven")
    result = publish(repository)
    assert result.returncode == 0, result.stderr
    return repository / "io" / "chargekit" / "chargekit" / "0.1.0"


def catalogue() -> dict:
    return tomllib.loads((ANDROID / "gradle" / "libs.versions.toml").read_text())["versions"]


def test_the_repository_holds_the_aar_its_sources_and_pom_with_checksums(release):
    for name in ("chargekit-0.1.0.aar", "chargekit-0.1.0-sources.jar", "chargekit-0.1.0.pom"):
        artifact = release / name
        assert artifact.is_file(), name
        assert (release / f"{name}.sha1").read_text().strip() == hashlib.sha1(artifact.read_bytes()).hexdigest()
    metadata = ET.parse(release.parent / "maven-metadata.xml").getroot()
    assert metadata.findtext("groupId") == "io.chargekit"
    assert metadata.findtext("artifactId") == "chargekit"
    assert [v.text for v in metadata.find("versioning/versions")] == ["0.1.0"]


def test_the_pom_names_the_library_dependencies_at_the_catalogue_versions(release):
    pom = ET.parse(release / "chargekit-0.1.0.pom").getroot()
    assert pom.findtext("m:packaging", namespaces=POM_NS) == "aar"
    assert pom.findtext("m:licenses/m:license/m:name", namespaces=POM_NS) == "Apache-2.0"
    found = {
        (d.findtext("m:groupId", namespaces=POM_NS), d.findtext("m:artifactId", namespaces=POM_NS)): (
            d.findtext("m:version", namespaces=POM_NS), d.findtext("m:scope", namespaces=POM_NS),
            d.findtext("m:type", namespaces=POM_NS))
        for d in pom.findall("m:dependencies/m:dependency", POM_NS)
    }
    versions = catalogue()
    assert found == {
        ("org.jetbrains.kotlin", "kotlin-stdlib"): (versions["kotlin"], "compile", None),
        # The API hands out Flows and binding types that extend JNA's: both are `api`.
        ("org.jetbrains.kotlinx", "kotlinx-coroutines-android"): (versions["coroutines"], "compile", None),
        # JNA's AAR carries libjnidispatch.so for every ABI; its jar would not load on a phone.
        ("net.java.dev.jna", "jna"): (versions["jna"], "compile", "aar"),
        ("androidx.annotation", "annotation"): (versions["androidx-annotation"], "runtime", None),
    }


def test_the_aar_has_the_layout_android_reads(release):
    with zipfile.ZipFile(release / "chargekit-0.1.0.aar") as aar:
        names = set(aar.namelist())
        assert {"AndroidManifest.xml", "classes.jar", "R.txt", "proguard.txt", "jni/x86_64/libchargekit_core.so",
                "META-INF/com/android/build/gradle/aar-metadata.properties"} <= names
        manifest = ET.fromstring(aar.read("AndroidManifest.xml"))
        assert manifest.get("package") == "io.chargekit"
        assert manifest.find("uses-sdk").get(f"{ANDROID_NS}minSdkVersion") == "26"
        permissions = {p.get(f"{ANDROID_NS}name") for p in manifest.findall("uses-permission")}
        assert permissions == {"android.permission.INTERNET"}
        # The consumer R8 rules, so an app that shrinks keeps what JNA reaches by reflection.
        assert aar.read("proguard.txt") == (ANDROID / "chargekit" / "consumer-rules.pro").read_bytes()
        assert b"-keep class com.sun.jna.** { *; }" in aar.read("proguard.txt")
        core = aar.read("jni/x86_64/libchargekit_core.so")
        assert core[:4] == b"\x7fELF"
        assert int.from_bytes(core[16:18], "little") == 3, "a shared object (ET_DYN)"
        assert int.from_bytes(core[18:20], "little") == 62, "for x86_64 (EM_X86_64)"
        assert b"ffi_chargekit_core_uniffi_contract_version" in core, "the UniFFI entry points are exported"
        with zipfile.ZipFile(aar.open("classes.jar")) as classes:
            classes = set(classes.namelist())
    assert "io/chargekit/client/ChargeKitClient.class" in classes
    assert "io/chargekit/presenter/LiveSessionPresenter.class" in classes
    assert any(name.startswith("io/chargekit/") and name.count("/") == 2 for name in classes), "the generated bindings"
    assert not any("Test" in Path(name).stem for name in classes), "no test classes ship"


def test_the_sources_jar_holds_the_hand_written_layer_and_the_bindings(release):
    with zipfile.ZipFile(release / "chargekit-0.1.0-sources.jar") as sources:
        names = set(sources.namelist())
    assert "io/chargekit/client/ChargeKitClient.kt" in names
    generated = {path.relative_to(BINDINGS).as_posix() for path in BINDINGS.rglob("*.kt")}
    assert generated and generated <= names


def test_the_gradle_publication_reads_the_same_coordinates():
    """The stand-in and the real build must not drift: both take chargekit.publish.* and the
    release variant ships sources and docs."""
    script = (ANDROID / "chargekit" / "build.gradle.kts").read_text()
    assert "`maven-publish`" in script
    assert "withSourcesJar()" in script and "withJavadocJar()" in script
    for key in ("group", "artifact", "version", "name", "description", "license"):
        assert f'publishProperty("{key}")' in script, key


def test_a_missing_build_is_refused_with_a_clear_message(tmp_path):
    result = publish(tmp_path / "repo", classes=tmp_path / "no-classes")
    assert result.returncode == 1
    assert "does not exist: build the core and run the Kotlin suite first" in result.stderr
    assert not (tmp_path / "repo").exists()
