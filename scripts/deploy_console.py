"""`make deploy`'s dealings with the deployed stack (run by .tools/sam-venv's Python,
which has boto3): read its outputs and parameters, and upload the console.

    deploy_console.py console-url           the stack's ConsoleUrl output
    deploy_console.py parameter <name>      a parameter's deployed value
    deploy_console.py upload                config.json + console/dist -> ConsoleBucket,
                                            then a CloudFront invalidation

The stack name and region come from samconfig.toml (what `sam deploy --guided` saved).
"""

import json
import mimetypes
import pathlib
import sys
import time
import tomllib

import boto3

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIST = ROOT / "console" / "dist"


def stack():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    params = config.get("default", {}).get("deploy", {}).get("parameters", {})
    glob = config.get("default", {}).get("global", {}).get("parameters", {})
    name = params.get("stack_name") or glob.get("stack_name")
    region = params.get("region") or glob.get("region")
    if not name:
        sys.exit("samconfig.toml names no stack_name: run sam deploy --guided first")
    session = boto3.Session(region_name=region)
    described = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    return session, outputs, parameters


def upload():
    if not (DIST / "index.html").exists():
        sys.exit("console/dist is not built: run scripts/console.sh build")
    session, outputs, parameters = stack()
    base = parameters["PublicBaseUrl"].rstrip("/")
    config = {
        "mode": "cognito",
        "auth_domain": outputs["AuthDomainUrl"],
        "client_id": outputs["UserPoolClientId"],
        "redirect_uri": f"{base}/callback",
        "logout_uri": f"{base}/sign-in",
    }
    s3 = session.client("s3")
    bucket = outputs["ConsoleBucketName"]
    files = [p for p in DIST.rglob("*") if p.is_file()]
    for path in files:
        key = path.relative_to(DIST).as_posix()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix in (".yaml", ".yml"):
            kind = "application/yaml"
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": kind, "CacheControl": "no-cache"})
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(config).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["ConsoleDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time())},
    )
    print(f"uploaded {len(files) + 1} files to s3://{bucket}; the console: {outputs['ConsoleUrl']}")


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "console-url":
        print(stack()[1]["ConsoleUrl"])
    elif command == "parameter" and len(sys.argv) > 2:
        print(stack()[2].get(sys.argv[2], ""))
    elif command == "upload":
        upload()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
