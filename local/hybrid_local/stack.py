"""Provisions the local stack from template.yaml itself.

The template goes through the same SAM transform that `sam deploy` applies (aws-sam-translator), with each
function's CodeUri folder built the way `sam build` builds it and uploaded to the emulator's S3; the result is
created in the emulator's CloudFormation. Nothing is created by hand-written calls that could drift from the
template, and a resource type the emulator cannot create fails the deploy instead of being skipped.
"""

import copy
import json
import logging
import os
import shutil
import subprocess
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.parsing import NULL_MODELS
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from . import cfn_edge, cfn_models  # noqa: F401  (register CloudFormation models moto lacks)
from .lambda_runtime import FunctionConfig

log = logging.getLogger("hybrid_local.stack")
# moto warns that it creates nothing for a wait condition handle, which creates nothing in CloudFormation either.
warnings.filterwarnings("ignore", message="Tried to parse AWS::CloudFormation::WaitConditionHandle")
# The SAM translator warns on every transform of an API with OpenApiVersion that its (unconfigured) feature toggles
# lack a feature; the translation is the same either way.
logging.getLogger("samtranslator.feature_toggle.feature_toggle").setLevel(logging.ERROR)

ARTIFACT_BUCKET = "hybrid-onboarding-local-artifacts"
ACCOUNT_ID = "123456789012"


class DeployError(Exception):
    pass


def build_code(template_dir: Path, code_uri: str, out_dir: Path, skip_build: bool) -> Path:
    """Builds a CodeUri folder (relative to the template, as in SAM) the way SAM's Java/Maven builder does, and
    zips what it would ship."""
    source = template_dir / code_uri
    if not skip_build:
        # sam build: `mvn clean install` then `mvn dependency:copy-dependencies -DincludeScope=runtime`;
        # the tests run separately, so they are skipped here.
        for goals in (
            ["install", "-DskipTests"],
            ["dependency:copy-dependencies", "-DincludeScope=runtime", "-Dmdep.prependGroupId=true"],
        ):
            result = subprocess.run(["mvn", "-q", "-B", *goals], cwd=source, capture_output=True, text=True)
            if result.returncode != 0:
                raise DeployError(f"building {code_uri} failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")
    classes, dependencies = source / "target" / "classes", source / "target" / "dependency"
    if not classes.is_dir():
        raise DeployError(f"{classes} does not exist: build {code_uri} first (mvn install)")
    out_dir.mkdir(parents=True, exist_ok=True)
    package = out_dir / f"{code_uri.strip('/').replace('/', '-')}.zip"
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(classes.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(classes).as_posix())
        if dependencies.is_dir():
            for jar in sorted(dependencies.glob("*.jar")):
                archive.write(jar, f"lib/{jar.name}")
    return package


def code_uris(template: dict[str, Any]) -> set[str]:
    default = template.get("Globals", {}).get("Function", {}).get("CodeUri")
    uris = set()
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            uri = resource.get("Properties", {}).get("CodeUri", default)
            if isinstance(uri, str) and not uri.startswith("s3://"):
                uris.add(uri)
    return uris


def transformed(
    template: dict[str, Any], packages: dict[str, str], parameters: dict[str, str], region: str
) -> dict[str, Any]:
    """The template as CloudFormation receives it from `sam deploy`: local CodeUris replaced by S3 locations."""
    template = copy.deepcopy(template)
    globals_function = template.get("Globals", {}).get("Function", {})
    if globals_function.get("CodeUri") in packages:
        globals_function["CodeUri"] = packages[globals_function["CodeUri"]]
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and properties.get("CodeUri") in packages:
            properties["CodeUri"] = packages[properties["CodeUri"]]

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    return transform(template, parameters, NoManagedPolicies())


@dataclass
class DeployedStack:
    name: str
    outputs: dict[str, str]
    resources: dict[str, dict[str, str]]
    template: dict[str, Any]

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id]["PhysicalResourceId"]

    def of_type(self, resource_type: str) -> dict[str, str]:
        return {lid: r["PhysicalResourceId"] for lid, r in self.resources.items() if r["ResourceType"] == resource_type}


class StackDeployer:
    def __init__(self, endpoint_url: str, region: str):
        self.region = region
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
        self.client = lambda service: session.client(service, endpoint_url=endpoint_url)

    def deploy(
        self, template_file: Path, stack_name: str, parameters: dict[str, str], work_dir: Path, skip_build: bool
    ) -> DeployedStack:
        template = yaml_parse(template_file.read_text())
        s3 = self.client("s3")
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        packages = {}
        for uri in sorted(code_uris(template)):
            package = build_code(template_file.parent, uri, work_dir, skip_build)
            key = f"{stack_name}/{package.name}"
            s3.upload_file(str(package), ARTIFACT_BUCKET, key)
            packages[uri] = f"s3://{ARTIFACT_BUCKET}/{key}"
        processed = transformed(template, packages, parameters, self.region)
        cfn = self.client("cloudformation")
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(processed),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        cfn.get_waiter("stack_create_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        resources = {
            r["LogicalResourceId"]: r
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
            for r in page["StackResourceSummaries"]
            if r.get("LogicalResourceId")
        }
        self._require_all_created(processed, resources, self._conditions(stack_name), stack_name)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return DeployedStack(stack_name, outputs, resources, processed)

    def _conditions(self, stack_name: str) -> dict[str, bool]:
        """Which of the template's conditions held, as the emulator's CloudFormation evaluated them (it runs in this
        process; its API does not say)."""
        conditions = (
            cloudformation_backends[ACCOUNT_ID][self.region].get_stack(stack_name).resource_map.lazy_condition_map
        )
        return {name: bool(conditions[name]) for name in conditions}

    @staticmethod
    def _require_all_created(
        processed: dict[str, Any], resources: dict[str, dict[str, str]], conditions: dict[str, bool], stack_name: str
    ) -> None:
        """moto reports CREATE_COMPLETE for types it cannot create; the local stack must not hide that. A resource
        whose condition is false is absent on purpose, and one of a type that creates nothing in CloudFormation
        either (a wait condition handle) is never listed."""
        missing = [
            lid
            for lid, r in processed["Resources"].items()
            if lid not in resources
            and r["Type"] not in NULL_MODELS
            and (not r.get("Condition") or conditions[r["Condition"]])
        ]
        if missing:
            raise DeployError(f"stack {stack_name}: the emulator did not create {', '.join(sorted(missing))}")

    def functions(self, stack: DeployedStack, work_dir: Path, log_dir: Path) -> list[FunctionConfig]:
        """Reads every function's configuration back from the emulator's Lambda and unpacks its code."""
        lam, s3 = self.client("lambda"), self.client("s3")
        functions = []
        for logical_id, name in sorted(stack.of_type("AWS::Lambda::Function").items()):
            config = lam.get_function_configuration(FunctionName=name)
            properties = stack.template["Resources"][logical_id]["Properties"]
            code = properties["Code"]
            code_dir = work_dir / "functions" / logical_id
            if code_dir.exists():
                shutil.rmtree(code_dir)
            code_dir.mkdir(parents=True)
            archive = work_dir / f"{logical_id}.zip"
            s3.download_file(code["S3Bucket"], code["S3Key"], str(archive))
            with zipfile.ZipFile(archive) as package:
                package.extractall(code_dir)
            functions.append(
                FunctionConfig(
                    logical_id=logical_id,
                    name=name,
                    arn=config["FunctionArn"],
                    handler=config["Handler"],
                    code_dir=code_dir,
                    # Lambda hands every variable to the function as a string, whatever type the template gave.
                    environment={k: str(v) for k, v in config.get("Environment", {}).get("Variables", {}).items()},
                    memory_mb=config.get("MemorySize", 128),
                    timeout_s=config.get("Timeout", 3),
                    log_file=log_dir / f"{logical_id}.log",
                    # moto keeps no SnapStart setting; the template CloudFormation received has it.
                    snap_start=properties.get("SnapStart", {}).get("ApplyOn") == "PublishedVersions",
                )
            )
        return functions

    def http_apis(self, stack: DeployedStack) -> list[dict[str, Any]]:
        """Each HTTP API with its routes' integrations and its default stage's throttling settings."""
        apigw = self.client("apigatewayv2")
        apis = []
        for logical_id, api_id in sorted(stack.of_type("AWS::ApiGatewayV2::Api").items()):
            integrations = {i["IntegrationId"]: i for i in apigw.get_integrations(ApiId=api_id)["Items"]}
            routes = []
            for route in apigw.get_routes(ApiId=api_id)["Items"]:
                target = route.get("Target", "")
                integration = integrations.get(target.split("/", 1)[1]) if target.startswith("integrations/") else None
                if integration:
                    routes.append((route["RouteKey"], integration["IntegrationUri"]))
            settings = {}
            for stage in apigw.get_stages(ApiId=api_id)["Items"]:
                if stage["StageName"] == "$default":
                    settings = stage.get("DefaultRouteSettings", {})
            apis.append({"logicalId": logical_id, "apiId": api_id, "routes": routes, "throttling": settings})
        return apis

    def rest_apis(self, stack: DeployedStack) -> list[dict[str, Any]]:
        """Each REST API as API Gateway and WAF describe it: its methods' Lambda proxy integrations, its stages with
        their method settings and the web ACL associated with each, its gateway responses and binary media types."""
        apigw, waf = self.client("apigateway"), self.client("wafv2")
        apis = []
        for logical_id, api_id in sorted(stack.of_type("AWS::ApiGateway::RestApi").items()):
            methods = []
            for page in apigw.get_paginator("get_resources").paginate(restApiId=api_id):
                for resource in page["items"]:
                    for http_method in resource.get("resourceMethods") or {}:
                        integration = apigw.get_integration(
                            restApiId=api_id, resourceId=resource["id"], httpMethod=http_method
                        )
                        if integration.get("type", "").upper() != "AWS_PROXY":
                            raise DeployError(
                                f"{logical_id} {http_method} {resource['path']}: only Lambda proxy "
                                f"integrations are served locally, not {integration.get('type')}"
                            )
                        methods.append(
                            {
                                "resourceId": resource["id"],
                                "path": resource["path"],
                                "httpMethod": http_method,
                                "uri": integration["uri"],
                            }
                        )
            stages = []
            for stage in apigw.get_stages(restApiId=api_id)["item"]:
                stage_arn = f"arn:aws:apigateway:{self.region}::/restapis/{api_id}/stages/{stage['stageName']}"
                acl = waf.get_web_acl_for_resource(ResourceArn=stage_arn).get("WebACL")
                stages.append(
                    {
                        "name": stage["stageName"],
                        "methodSettings": stage.get("methodSettings") or {},
                        "variables": stage.get("variables") or {},
                        "webAcl": acl,
                        "ipSets": self._ip_sets_of(waf, acl) if acl else {},
                    }
                )
            api = apigw.get_rest_api(restApiId=api_id)
            apis.append(
                {
                    "logicalId": logical_id,
                    "apiId": api_id,
                    "methods": methods,
                    "stages": stages,
                    "gatewayResponses": apigw.get_gateway_responses(restApiId=api_id).get("items", []),
                    "binaryMediaTypes": api.get("binaryMediaTypes") or [],
                }
            )
        return apis

    @staticmethod
    def _ip_sets_of(waf: Any, acl: dict[str, Any]) -> dict[str, list[str]]:
        """The addresses of every IP set the web ACL's rules refer to, by ARN."""
        arns: set[str] = set()

        def collect(node: Any) -> None:
            if isinstance(node, dict):
                reference = node.get("IPSetReferenceStatement")
                if reference:
                    arns.add(reference["ARN"])
                for value in node.values():
                    collect(value)
            elif isinstance(node, list):
                for value in node:
                    collect(value)

        collect(acl.get("Rules") or [])
        found = {}
        for arn in sorted(arns):
            # arn:aws:wafv2:REGION:ACCOUNT:regional/ipset/NAME/ID
            _, name, ip_set_id = arn.split(":", 5)[5].rsplit("/", 2)
            found[arn] = waf.get_ip_set(Name=name, Id=ip_set_id, Scope="REGIONAL")["IPSet"]["Addresses"]
        return found

    def schedules(self) -> list[dict[str, Any]]:
        scheduler = self.client("scheduler")
        found = []
        for page in scheduler.get_paginator("list_schedules").paginate():
            for summary in page["Schedules"]:
                found.append(
                    scheduler.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default"))
                )
        return found

    def event_source_mappings(self) -> list[dict[str, Any]]:
        lam = self.client("lambda")
        return [
            m
            for page in lam.get_paginator("list_event_source_mappings").paginate()
            for m in page["EventSourceMappings"]
        ]
