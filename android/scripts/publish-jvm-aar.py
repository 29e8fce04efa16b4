#!/usr/bin/env python3
"""Publishes the chargekit library, as built on this machine's JVM, to a local Maven repository
in the layout the Android build's `maven-publish` gives it (android/chargekit/build.gradle.kts):
an AAR (manifest, classes.jar, the core under jni/<abi>/, the consumer R8 rules as proguard.txt,
R.txt, AAR metadata), a sources jar and a POM with the library's dependencies.

What an app developer adds with `implementation("io.chargekit:chargekit:<version>")` comes from
the Gradle build, which needs the Android SDK and NDK. This stand-in is built from what this
machine has: the classes the JVM test build (tests/kotlin) compiled from the same sources, and
the core built for the host (one ABI). It reads its coordinates, namespace, minSdk and
dependencies from the Gradle files, so a test of its output checks those files too.

Usage: publish-jvm-aar.py --classes DIR --bindings DIR --core-library FILE --abi ABI --repository DIR
"""

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ANDROID = Path(__file__).resolve().parent.parent
LIBRARY = ANDROID / "chargekit"
# The deploy plugin that writes the repository (checksums, maven-metadata.xml) as a real publish does.
DEPLOY_PLUGIN = "org.apache.maven.plugins:maven-deploy-plugin:3.1.4:deploy-file"
AAR_METADATA = "aarFormatVersion=1.0\naarMetadataVersion=1.0\nminCompileSdk=1\nminAndroidGradlePluginVersion=1.0.0\n"


def fail(message: str) -> None:
    print(f"publish-jvm-aar: {message}", file=sys.stderr)
    sys.exit(1)


def gradle_properties() -> dict[str, str]:
    properties = {}
    for line in (ANDROID / "gradle.properties").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            properties[key.strip()] = value.strip()
    return properties


def required(pattern: str, text: str, what: str) -> str:
    found = re.search(pattern, text)
    if not found:
        fail(f"cannot find {what} in android/chargekit/build.gradle.kts")
    return found.group(1)


def library_build() -> dict:
    """The namespace, minSdk and declared dependencies of android/chargekit/build.gradle.kts."""
    script = (LIBRARY / "build.gradle.kts").read_text()
    catalog = tomllib.loads((ANDROID / "gradle" / "libs.versions.toml").read_text())
    versions, libraries = catalog["versions"], catalog["libraries"]
    dependencies = []
    block = required(r"(?s)\ndependencies \{(.*?)\n\}", script, "the dependencies block")
    for found in re.finditer(r"\b(api|implementation)\(libs\.([A-Za-z0-9.]+)\)(\s*\{[^}]*\})?", block):
        configuration, accessor, options = found.groups()
        # A catalog alias `a-b-c` is reached as libs.a.b.c.
        alias = next((name for name in libraries if name.replace("-", ".") == accessor), None)
        if alias is None:
            fail(f"libs.{accessor} is not in gradle/libs.versions.toml")
        entry = libraries[alias]
        group, artifact = entry["module"].split(":")
        version = versions[entry["version"]["ref"]] if isinstance(entry.get("version"), dict) else entry.get("version")
        aar = bool(options and re.search(r'type\s*=\s*"aar"', options))
        # maven-publish maps `api` to the compile scope and `implementation` to runtime.
        scope = "compile" if configuration == "api" else "runtime"
        dependencies.append({"group": group, "artifact": artifact, "version": version, "scope": scope, "aar": aar})
    # The Kotlin Android plugin adds the standard library to `api` itself.
    dependencies.insert(0, {"group": "org.jetbrains.kotlin", "artifact": "kotlin-stdlib",
                            "version": versions["kotlin"], "scope": "compile", "aar": False})
    return {
        "namespace": required(r'namespace\s*=\s*"([^"]+)"', script, "namespace"),
        "min_sdk": required(r"val androidMinSdk\s*=\s*(\d+)", script, "androidMinSdk"),
        "dependencies": dependencies,
    }


def library_manifest(namespace: str, min_sdk: str) -> str:
    """The library's manifest as AGP writes it into the AAR: its package and uses-sdk added."""
    source = (LIBRARY / "src" / "main" / "AndroidManifest.xml").read_text()
    opening = re.search(r"<manifest\b[^>]*>", source)
    if not opening:
        fail("android/chargekit/src/main/AndroidManifest.xml has no <manifest> element")
    tag = opening.group(0)
    with_package = tag[:-1].rstrip() + f'\n    package="{escape(namespace)}">'
    uses_sdk = f'\n\n    <uses-sdk android:minSdkVersion="{min_sdk}" />'
    return source.replace(tag, with_package + uses_sdk, 1)


def jar(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: publish-jvm-aar\r\n\r\n")
        for name in sorted(entries):
            archive.writestr(name, entries[name])
    return buffer.getvalue()


def files_under(root: Path, suffixes: tuple[str, ...]) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file() and path.name.endswith(suffixes)}


def pom(coordinates: dict[str, str], build: dict) -> str:
    dependencies = "".join(
        "\n    <dependency>"
        f"\n      <groupId>{d['group']}</groupId>\n      <artifactId>{d['artifact']}</artifactId>"
        f"\n      <version>{d['version']}</version>"
        + ("\n      <type>aar</type>" if d["aar"] else "")
        + f"\n      <scope>{d['scope']}</scope>\n    </dependency>"
        for d in build["dependencies"])
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{coordinates['group']}</groupId>
  <artifactId>{coordinates['artifact']}</artifactId>
  <version>{coordinates['version']}</version>
  <packaging>aar</packaging>
  <name>{escape(coordinates['name'])}</name>
  <description>{escape(coordinates['description'])}</description>
  <licenses>
    <license>
      <name>{escape(coordinates['license'])}</name>
    </license>
  </licenses>
  <dependencies>{dependencies}
  </dependencies>
</project>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", type=Path, required=True, help="compiled classes of the library (tests/kotlin/target/classes)")
    parser.add_argument("--bindings", type=Path, required=True, help="the generated Kotlin bindings they were compiled with")
    parser.add_argument("--core-library", type=Path, required=True, help="libchargekit_core.so for --abi")
    parser.add_argument("--abi", required=True, help="the Android ABI the core library is for (x86_64 on this machine)")
    parser.add_argument("--repository", type=Path, required=True, help="the local Maven repository to publish into")
    args = parser.parse_args()
    for path in (args.classes, args.bindings, args.core_library):
        if not path.exists():
            fail(f"{path} does not exist: build the core and run the Kotlin suite first (tests/run does)")

    properties = gradle_properties()
    coordinates = {key: properties.get(f"chargekit.publish.{key}") for key in
                   ("group", "artifact", "version", "name", "description", "license")}
    missing = [key for key, value in coordinates.items() if not value]
    if missing:
        fail(f"android/gradle.properties lacks chargekit.publish.{', chargekit.publish.'.join(missing)}")
    build = library_build()

    classes = files_under(args.classes, (".class", ".kotlin_module"))
    if not any(name.startswith(build["namespace"].replace(".", "/") + "/") for name in classes):
        fail(f"{args.classes} holds no class of {build['namespace']}")
    aar = {
        "AndroidManifest.xml": library_manifest(build["namespace"], build["min_sdk"]).encode(),
        "classes.jar": jar(classes),
        f"jni/{args.abi}/libchargekit_core.so": args.core_library.read_bytes(),
        "proguard.txt": (LIBRARY / "consumer-rules.pro").read_bytes(),
        "R.txt": b"",
        "META-INF/com/android/build/gradle/aar-metadata.properties": AAR_METADATA.encode(),
    }
    sources = files_under(LIBRARY / "src" / "main" / "kotlin", (".kt",)) | files_under(args.bindings, (".kt",))

    name = f"{coordinates['artifact']}-{coordinates['version']}"
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with zipfile.ZipFile(work / f"{name}.aar", "w", zipfile.ZIP_DEFLATED) as archive:
            for entry, content in aar.items():
                archive.writestr(entry, content)
        (work / f"{name}-sources.jar").write_bytes(jar(sources))
        (work / f"{name}.pom").write_text(pom(coordinates, build))
        args.repository.mkdir(parents=True, exist_ok=True)
        mvn = shutil.which("mvn") or fail("mvn is not on the PATH")
        subprocess.run([
            mvn, "-B", "-ntp", "-q", "-Dstyle.color=never", DEPLOY_PLUGIN,
            f"-Durl={args.repository.resolve().as_uri()}",
            f"-Dfile={work / f'{name}.aar'}", f"-Dsources={work / f'{name}-sources.jar'}",
            f"-DpomFile={work / f'{name}.pom'}", "-Dpackaging=aar",
        ], check=True, cwd=work)
    print(f"published {coordinates['group']}:{coordinates['artifact']}:{coordinates['version']} to {args.repository}")


if __name__ == "__main__":
    main()
