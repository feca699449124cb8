"""`make package`: the CloudFormation (SAM) template and the Lambda zip of a stage, linted and measured.

    python infra/package.py build/dev --stage dev          # what `make package` runs, per stage
    python infra/package.py --template-only --stage prod   # the template on stdout, nothing downloaded

Packaging: infra/merge_template.py writes the stage's merge template (every infra/*.json, resources
named for the stage), then `chalice package --stage S --merge-template ...` builds `OUT/sam.json` and
`OUT/deployment.zip` (Chalice pip-downloads the Lambda's Linux wheels from the package registry: the
first time ~10 s, then reused from .chalice/deployments/), then:

- `cfn-lint OUT/sam.json` must report nothing;
- the zip must stay under MAX_ZIP_BYTES (10 MB): requirements.txt leaves out boto3/botocore, which the
  Lambda Python runtime ships;
- the zip must import as Lambda imports it: `app`, the pipeline, the sheet adapter and a service-account
  signature, on a bare interpreter (`python -S -I`) that sees only the zip and boto3 (the runtime's part).

`--template-only` builds the same template through the same Chalice code with the zip step replaced by an
empty placeholder (no download, no network): what the tests lint and deploy into moto. Run it in its own
process: Chalice imports app.py with the stage's environment (RUNS_QUEUE names the queue the consumer
reads), which a process that imported app.py before cannot redo.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "infra"))
import merge_template  # noqa: E402

MAX_ZIP_BYTES = 10_000_000
# What the Lambda runtime puts beside the zip (boto3 and what botocore needs); nothing else of the venv.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def _chalice_env() -> dict:
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice package wants one; nothing is called
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        env.pop(key, None)
    return env


def template_only(stage: str) -> dict:
    """The template `chalice package --merge-template` makes for `stage`, without building the zip."""
    os.environ.update({k: v for k, v in _chalice_env().items() if k == "AWS_DEFAULT_REGION"})
    import chalice.package as chalice_package
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.deployer import BaseDeployStep, DeploymentPackager
    from chalice.deploy.models import Placeholder

    with tempfile.TemporaryDirectory() as tmp:
        placeholder = Path(tmp) / "placeholder.zip"
        zipfile.ZipFile(placeholder, "w").close()

        class Placeholder_(BaseDeployStep):
            def handle_deploymentpackage(self, config, resource):
                if isinstance(resource.filename, Placeholder):
                    resource.filename = str(placeholder)

        real = chalice_package.create_build_stage

        def build_stage(*args, **kwargs):
            stage_ = real(*args, **kwargs)
            stage_._steps = [Placeholder_() if isinstance(s, DeploymentPackager) else s for s in stage_._steps]
            return stage_

        merge_file = Path(tmp) / "merge-template.json"
        merge_file.write_text(json.dumps(merge_template.merged_template(stage)))
        chalice_package.create_build_stage = build_stage
        try:
            factory = CLIFactory(str(ROOT), environ=os.environ)  # as the CLI: app.py sees the stage's env
            config = factory.create_config_obj(chalice_stage_name=stage)
            packager = factory.create_app_packager(
                config, factory.create_package_options(), "cloudformation", "json", str(merge_file)
            )
            packager.package_app(config, str(Path(tmp) / "out"), stage)
        finally:
            chalice_package.create_build_stage = real
        return json.loads((Path(tmp) / "out" / "sam.json").read_text())


def template_in_subprocess(stage: str) -> dict:
    """`template_only(stage)` in a fresh interpreter (see the module's docstring)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--template-only", "--stage", stage],
        cwd=ROOT,
        env=_chalice_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def lint(template_path: Path) -> list[str]:
    """cfn-lint's findings on the template (none is the goal)."""
    out = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(template_path)], capture_output=True, text=True
    )
    if out.returncode not in (0,) and not out.stdout.strip():
        raise RuntimeError(f"cfn-lint failed to run: {out.stderr}")
    return [line for line in out.stdout.splitlines() if line.strip()]


def smoke_import(zip_path: Path) -> str:
    """Import the zip as the Lambda runtime would: a bare interpreter, the zip, and boto3 beside it."""
    import boto3

    site = Path(boto3.__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        task, runtime = Path(tmp) / "task", Path(tmp) / "runtime"
        zipfile.ZipFile(zip_path).extractall(task)
        runtime.mkdir()
        for name in RUNTIME_PACKAGES:
            if (site / name).exists():
                (runtime / name).symlink_to(site / name)
        code = (
            "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
            "import app, boto3\n"
            "from chalicelib.services import pipeline\n"
            "from chalicelib.sheet import transport\n"
            "from google.oauth2 import service_account\n"
            "from cryptography.hazmat.primitives.asymmetric import rsa\n"
            "from cryptography.hazmat.primitives import serialization\n"
            "key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(\n"
            "    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())\n"
            "creds = service_account.Credentials.from_service_account_info({'type': 'service_account',\n"
            "    'client_email': 'a@b.iam.gserviceaccount.com', 'private_key': key.decode(), 'private_key_id': '1',\n"
            "    'token_uri': 'https://oauth2.googleapis.com/token'})\n"
            "assert creds.signer.sign(b'x')\n"
            "print(len(app.app.routes), 'routes; boto3', boto3.__version__)\n"
        )
        env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1"}
        out = subprocess.run(
            [sys.executable, "-S", "-I", "-c", code, str(task), str(runtime)], capture_output=True, text=True, env=env
        )
        if out.returncode != 0:
            raise RuntimeError(f"the zip does not import on a bare interpreter:\n{out.stderr}")
        return out.stdout.strip()


def package(stage: str, out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    merge_file = out_dir / "merge-template.json"
    merge_file.write_text(json.dumps(merge_template.merged_template(stage), indent=2) + "\n")
    shutil.rmtree(out_dir / "sam.json", ignore_errors=True)
    subprocess.run(
        [
            str(Path(sys.executable).with_name("chalice")),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge_file),
            str(out_dir),
        ],
        cwd=ROOT,
        env=_chalice_env(),
        check=True,
    )
    problems = lint(out_dir / "sam.json")
    zip_path = out_dir / "deployment.zip"
    size = zip_path.stat().st_size
    with zipfile.ZipFile(zip_path) as z:
        unzipped = sum(i.file_size for i in z.infolist())
    print(f"{stage}: {out_dir / 'sam.json'}: cfn-lint {'clean' if not problems else 'FOUND PROBLEMS'}")
    for line in problems:
        print("  " + line)
    print(
        f"{stage}: {zip_path}: {size:,} bytes ({size / 1e6:.2f} MB; unzipped {unzipped / 1e6:.1f} MB), "
        f"limit {MAX_ZIP_BYTES / 1e6:.0f} MB: {'ok' if size < MAX_ZIP_BYTES else 'TOO BIG'}"
    )
    print(f"{stage}: smoke import on a bare interpreter: {smoke_import(zip_path)}")
    return 0 if not problems and size < MAX_ZIP_BYTES else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--template-only", action="store_true", help="print the template; build no zip")
    parser.add_argument("out_dir", nargs="?", type=Path)
    args = parser.parse_args(argv)
    if args.template_only:
        json.dump(template_only(args.stage), sys.stdout, indent=1)
        return 0
    return package(args.stage, args.out_dir or ROOT / "build" / args.stage)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
