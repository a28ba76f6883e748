"""CloudFormation support for the API's edge, which moto 5.2.1 does not provision from a SAM template.

moto's own AWS::ApiGateway::RestApi model ignores the OpenAPI definition (`Body`) that SAM puts every route,
integration and gateway response into, its deployment model answers Ref with a Python object instead of the
deployment's id, and it has no model for stages, the account's logging role or any WAFv2 resource. These models
create them in moto's API Gateway and WAFv2 backends from template.yaml itself, so that the local stack reads them
back through the same APIs it would use against AWS. Like cfn_models, they register with moto's CloudFormation
parser by subclassing CloudFormationModel; registered after moto's RestApi and Deployment models, the ones here take
their place.
"""

from typing import Any

from moto.apigateway.models import apigateway_backends
from moto.core.common_models import CloudFormationModel
from moto.wafv2.models import wafv2_backends


def _tags(tags: Any) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags or []]


def _api_names(node: Any) -> Any:
    """WAF's API spells ARN where CloudFormation's properties spell Arn (IPSetReferenceStatement and the like)."""
    if isinstance(node, dict):
        return {("ARN" if key == "Arn" else key): _api_names(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_api_names(value) for value in node]
    return node


class RestApiFromDefinition(CloudFormationModel):
    """A REST API with the resources, methods, integrations, binary media types and gateway responses of its
    OpenAPI definition, as API Gateway imports them."""

    def __init__(self, api: Any):
        self.api = api

    @property
    def physical_resource_id(self) -> str:
        return self.api.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::RestApi"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("RootResourceId", "RestApiId")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "RootResourceId":
            return self.api.root_resource_id
        if attribute_name == "RestApiId":
            return self.api.id
        raise KeyError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "RestApiFromDefinition":
        properties = cloudformation_json["Properties"]
        body = properties.get("Body") or {}
        backend = apigateway_backends[account_id][region_name]
        endpoint = properties.get("EndpointConfiguration") or {}
        api = backend.create_rest_api(
            name=body.get("info", {}).get("title") or properties.get("Name") or resource_name,
            description=properties.get("Description", ""),
            endpoint_configuration={"types": endpoint["Types"]} if endpoint.get("Types") else None,
            tags=_tags(properties.get("Tags")),
        )
        if body:
            # moto's importer creates one resource per path and one method and integration per operation.
            backend.put_rest_api(api.id, body, fail_on_warnings=False)
            api.binaryMediaTypes = list(body.get("x-amazon-apigateway-binary-media-types", []))
            for response_type, response in body.get("x-amazon-apigateway-gateway-responses", {}).items():
                backend.put_gateway_response(
                    api.id,
                    response_type,
                    status_code=response.get("statusCode"),
                    response_parameters=response.get("responseParameters"),
                    response_templates=response.get("responseTemplates"),
                )
        return cls(api)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class RestApiDeployment(CloudFormationModel):
    """A deployment, whose Ref is its id: moto's own model answers Ref with the Python object, which a stage cannot
    take. Registered after moto's, it takes its place."""

    def __init__(self, deployment: Any):
        self.deployment = deployment

    @property
    def physical_resource_id(self) -> str:
        return self.deployment.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Deployment"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "DeploymentId"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "DeploymentId":
            return self.deployment.id
        raise KeyError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "RestApiDeployment":
        properties = cloudformation_json["Properties"]
        deployment = apigateway_backends[account_id][region_name].create_deployment(
            properties["RestApiId"], properties.get("StageName"), properties.get("Description", "")
        )
        return cls(deployment)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class RestApiStage(CloudFormationModel):
    """A stage of a deployment, with its method settings (throttling) and access log settings."""

    def __init__(self, stage: Any):
        self.stage = stage

    @property
    def physical_resource_id(self) -> str:
        return self.stage.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StageName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "RestApiStage":
        properties = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        api_id, name = properties["RestApiId"], properties.get("StageName", resource_name)
        stage = backend.create_stage(
            api_id,
            name,
            properties["DeploymentId"],
            variables=properties.get("Variables"),
            description=properties.get("Description", ""),
            tags={t["Key"]: t["Value"] for t in _tags(properties.get("Tags"))} or None,
            tracing_enabled=properties.get("TracingEnabled"),
        )
        operations = []
        for setting in properties.get("MethodSettings", []):
            # A method setting's key is its resource path without the leading slash, and its method: */* for all.
            key = f"{setting.get('ResourcePath', '/*')[1:]}/{setting.get('HttpMethod', '*')}"
            for prop, path in (
                ("ThrottlingRateLimit", "throttling/rateLimit"),
                ("ThrottlingBurstLimit", "throttling/burstLimit"),
            ):
                if setting.get(prop) is not None:
                    operations.append({"op": "replace", "path": f"/{key}/{path}", "value": str(setting[prop])})
        access_logs = properties.get("AccessLogSetting") or {}
        for prop, path in (("DestinationArn", "destinationArn"), ("Format", "format")):
            if access_logs.get(prop):
                operations.append({"op": "replace", "path": f"/accessLogSettings/{path}", "value": access_logs[prop]})
        if operations:
            stage = backend.update_stage(api_id, name, operations)
        return cls(stage)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class ApiGatewayAccount(CloudFormationModel):
    """The Region's API Gateway settings: the role API Gateway writes CloudWatch logs with."""

    def __init__(self, account_id: str):
        self.account_id = account_id

    @property
    def physical_resource_id(self) -> str:
        return f"apigateway-account-{self.account_id}"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Account"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "ApiGatewayAccount":
        role = cloudformation_json["Properties"].get("CloudWatchRoleArn")
        if role:
            apigateway_backends[account_id][region_name].update_account(
                [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
            )
        return cls(account_id)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class WebAcl(CloudFormationModel):
    def __init__(self, acl: Any):
        self.acl = acl

    @property
    def physical_resource_id(self) -> str:
        return f"{self.acl.name}|{self.acl.id}|REGIONAL"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACL"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "Id", "Capacity", "LabelNamespace")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return {
            "Arn": self.acl.arn,
            "Id": self.acl.id,
            "Capacity": self.acl.capacity,
            "LabelNamespace": self.acl.label_namespace,
        }[attribute_name]

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "WebAcl":
        properties = cloudformation_json["Properties"]
        if properties["Scope"] != "REGIONAL":
            raise ValueError(f"web ACL {resource_name}: only REGIONAL web ACLs are modelled, not {properties['Scope']}")
        acl = wafv2_backends[account_id][region_name].create_web_acl(
            name=properties.get("Name") or resource_name,
            visibility_config=properties["VisibilityConfig"],
            default_action=properties["DefaultAction"],
            scope=properties["Scope"],
            description=properties.get("Description", ""),
            tags=_tags(properties.get("Tags")),
            rules=_api_names(properties.get("Rules", [])),
            association_config=properties.get("AssociationConfig"),
            captcha_config=properties.get("CaptchaConfig"),
            challenge_config=properties.get("ChallengeConfig"),
            custom_response_bodies=properties.get("CustomResponseBodies"),
            token_domains=properties.get("TokenDomains"),
        )
        return cls(acl)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class IpSet(CloudFormationModel):
    def __init__(self, ip_set: Any):
        self.ip_set = ip_set

    @property
    def physical_resource_id(self) -> str:
        return f"{self.ip_set.name}|{self.ip_set.ip_set_id}|{self.ip_set.scope}"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::IPSet"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "Id")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return {"Arn": self.ip_set.arn, "Id": self.ip_set.ip_set_id}[attribute_name]

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "IpSet":
        properties = cloudformation_json["Properties"]
        ip_set = wafv2_backends[account_id][region_name].create_ip_set(
            name=properties.get("Name") or resource_name,
            scope=properties["Scope"],
            description=properties.get("Description", ""),
            ip_address_version=properties["IPAddressVersion"],
            addresses=list(properties.get("Addresses", [])),
            tags=_tags(properties.get("Tags")),
        )
        return cls(ip_set)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class WebAclAssociation(CloudFormationModel):
    """A web ACL put in front of a resource; for an API Gateway stage, the stage then names its web ACL."""

    def __init__(self, resource_arn: str):
        self.resource_arn = resource_arn

    @property
    def physical_resource_id(self) -> str:
        return self.resource_arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACLAssociation"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "WebAclAssociation":
        properties = cloudformation_json["Properties"]
        resource_arn = properties["ResourceArn"]
        # arn:aws:apigateway:REGION::/restapis/API_ID/stages/STAGE: the stage must exist, as in AWS.
        if ":apigateway:" in resource_arn:
            _, _, api_id, _, stage = resource_arn.split("::", 1)[1].split("/")
            apigateway_backends[account_id][region_name].get_stage(api_id, stage)
        wafv2_backends[account_id][region_name].associate_web_acl(properties["WebACLArn"], resource_arn)
        return cls(resource_arn)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None
