"""CloudFormation support for the resource types a SAM template needs and moto 5.2.1 does not provision.

moto answers CREATE_COMPLETE for types it does not know but creates nothing. The local stack must create the
HTTP API (with the routes from its OpenAPI body), its stage (throttling settings), EventBridge Scheduler
schedules, function versions and aliases, alarms and queue policies from template.yaml itself, so these models register with moto's
CloudFormation parser the same way moto's own models do: by subclassing CloudFormationModel before the first
stack is parsed.
"""

import json
from typing import Any

import yaml
from moto.apigatewayv2.models import apigatewayv2_backends
from moto.awslambda.models import lambda_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.iam.models import Role
from moto.scheduler.models import scheduler_backends
from moto.sqs.models import sqs_backends


def _camel(properties: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's PascalCase property names to the API's camelCase ones."""
    return {
        key[:1].lower() + key[1:]: _camel(value) if isinstance(value, dict) else value
        for key, value in properties.items()
    }


class HttpApi(CloudFormationModel):
    def __init__(self, api: Any, region_name: str):
        self.api = api
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return self.api.api_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ApiEndpoint", "ApiId")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "ApiId":
            return self.api.api_id
        if attribute_name == "ApiEndpoint":
            return f"https://{self.api.api_id}.execute-api.{self.region_name}.amazonaws.com"
        raise KeyError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "HttpApi":
        properties = cloudformation_json["Properties"]
        backend = apigatewayv2_backends[account_id][region_name]
        body = properties.get("Body") or {}
        api = backend.create_api(
            api_key_selection_expression=None,
            cors_configuration=properties.get("CorsConfiguration"),
            description=properties.get("Description"),
            disable_schema_validation=None,
            disable_execute_api_endpoint=properties.get("DisableExecuteApiEndpoint"),
            name=properties.get("Name") or body.get("info", {}).get("title") or resource_name,
            protocol_type=properties.get("ProtocolType", "HTTP"),
            route_selection_expression=None,
            tags=properties.get("Tags") or {},
            version=None,
        )
        if body:
            # moto's importer creates one integration and route per path and method, as API Gateway does.
            api.import_api(yaml.safe_dump(body), fail_on_warnings=False)
            if properties.get("Description"):
                api.description = properties["Description"]
        return cls(api, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class HttpApiStage(CloudFormationModel):
    def __init__(self, api_id: str, stage: Any):
        self.api_id = api_id
        self.stage = stage

    @property
    def physical_resource_id(self) -> str:
        return self.stage.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StageName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Stage"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "HttpApiStage":
        properties = dict(cloudformation_json["Properties"])
        api_id = properties.pop("ApiId")
        config = _camel(properties)
        config["stageName"] = properties.get("StageName", resource_name)
        stage = apigatewayv2_backends[account_id][region_name].create_stage(api_id, config)
        return cls(api_id, stage)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class Schedule(CloudFormationModel):
    def __init__(self, schedule: Any):
        self.schedule = schedule

    @property
    def physical_resource_id(self) -> str:
        return self.schedule.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.schedule.arn
        raise KeyError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "Schedule":
        properties = cloudformation_json["Properties"]
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            description=properties.get("Description"),
            end_date=properties.get("EndDate"),
            flexible_time_window=properties.get("FlexibleTimeWindow", {"Mode": "OFF"}),
            group_name=properties.get("GroupName"),
            kms_key_arn=properties.get("KmsKeyArn"),
            name=properties.get("Name", resource_name),
            schedule_expression=properties["ScheduleExpression"],
            schedule_expression_timezone=properties.get("ScheduleExpressionTimezone"),
            start_date=properties.get("StartDate"),
            state=properties.get("State", "ENABLED"),
            target=properties["Target"],
            action_after_completion=None,
        )
        return cls(schedule)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class FunctionVersion(CloudFormationModel):
    """A published version; moto's own model of this type cannot answer Fn::GetAtt Version, which SAM's
    AutoPublishAlias uses. Registered after moto's, it takes its place in the parser's type map."""

    def __init__(self, function: Any):
        self.function = function

    @property
    def physical_resource_id(self) -> str:
        return self.function.function_arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Version"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Version", "FunctionArn")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Version":
            return str(self.function.version)
        if attribute_name == "FunctionArn":
            return self.function.function_arn
        raise KeyError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "FunctionVersion":
        function = str(cloudformation_json["Properties"]["FunctionName"]).split(":function:")[-1].split(":")[0]
        return cls(lambda_backends[account_id][region_name].publish_version(function))

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class FunctionAlias(CloudFormationModel):
    """SAM's AutoPublishAlias: the alias the API integration and event sources invoke."""

    def __init__(self, alias: Any):
        self.alias = alias

    @property
    def physical_resource_id(self) -> str:
        return self.alias.arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "AliasArn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "AliasArn":
            return self.alias.arn
        raise KeyError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "FunctionAlias":
        properties = cloudformation_json["Properties"]
        function = str(properties["FunctionName"]).split(":function:")[-1].split(":")[0]
        alias = lambda_backends[account_id][region_name].create_alias(
            name=properties["Name"],
            function_name=function,
            function_version=str(properties["FunctionVersion"]),
            description=properties.get("Description", ""),
            routing_config=properties.get("RoutingConfig"),
        )
        return cls(alias)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class MetricAlarm(CloudFormationModel):
    """A CloudWatch alarm, created in moto's CloudWatch so that the stack's alarms can be listed and checked."""

    def __init__(self, alarm: Any):
        self.alarm = alarm

    @property
    def physical_resource_id(self) -> str:
        return self.alarm.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.alarm.alarm_arn
        raise KeyError(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "MetricAlarm":
        properties = cloudformation_json["Properties"]
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=properties.get("AlarmName") or resource_name,
            namespace=properties.get("Namespace"),
            metric_name=properties.get("MetricName"),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            period=int(properties.get("Period", 60)),
            threshold=float(properties["Threshold"]),
            statistic=properties.get("Statistic"),
            description=properties.get("AlarmDescription", ""),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in properties.get("Dimensions", [])],
            alarm_actions=properties.get("AlarmActions", []),
            ok_actions=properties.get("OKActions", []),
            treat_missing_data=properties.get("TreatMissingData"),
        )
        return cls(alarm)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


class QueuePolicy(CloudFormationModel):
    """An SQS queue policy, set on each queue it names, so that the stack's queues read back as deployed."""

    def __init__(self, queue_urls: list[str]):
        self.queue_urls = queue_urls

    @property
    def physical_resource_id(self) -> str:
        return ",".join(self.queue_urls)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "QueuePolicy":
        properties = cloudformation_json["Properties"]
        document = properties["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        backend = sqs_backends[account_id][region_name]
        for url in properties["Queues"]:
            backend.set_queue_attributes(str(url).rstrip("/").rsplit("/", 1)[1], {"Policy": policy})
        return cls(list(properties["Queues"]))

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None


def _without_no_value(value: Any) -> Any:
    """CloudFormation drops a list element that resolved to AWS::NoValue; moto's parser leaves None in its place."""
    if isinstance(value, dict):
        return {key: _without_no_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_no_value(item) for item in value if item is not None]
    return value


def _role_policies_as_json() -> None:
    """moto keeps a CloudFormation role's inline policies as Python objects and GetRolePolicy then answers their repr
    (single quotes, True), which no IAM client can read; IAM keeps and answers JSON, without the statements a
    condition removed (AWS::NoValue)."""
    original = Role.create_from_cloudformation_json.__func__

    def create(
        cls: type,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = dict(cloudformation_json.get("Properties", {}))
        properties["Policies"] = [
            {
                **policy,
                "PolicyDocument": policy["PolicyDocument"]
                if isinstance(policy["PolicyDocument"], str)
                else json.dumps(_without_no_value(policy["PolicyDocument"])),
            }
            for policy in properties.get("Policies", [])
        ]
        return original(
            cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kwargs
        )

    Role.create_from_cloudformation_json = classmethod(create)


_role_policies_as_json()
