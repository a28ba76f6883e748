"""The whole product on loopback: the AWS emulator, the stack deployed from template.yaml, its functions running
in the Lambda Java runtime interface client, its REST APIs (with their WAF web ACLs) and HTTP APIs, schedules and
queue triggers."""

import json
import logging
import os
from pathlib import Path
from typing import Any

from .emulator import LocalAws
from .http_api import HttpApi, TokenBucket, function_arn_of, route_of
from .lambda_runtime import InvocationError, LambdaService, RuntimeInterfaceClient, function_credentials
from .loopback import BurstServer, LoopbackHandler, serve
from .rest_api import GatewayResponses, RestApi, RestMethod, RestStage
from .stack import ACCOUNT_ID, DeployError, StackDeployer
from .triggers import QueuePollers, Schedules
from .waf import DEFAULT_CHECK_INTERVAL_S, IpReputation, UnsupportedRule, WebAcl

log = logging.getLogger("hybrid_local")

REGION = "us-east-1"


def runtime_interface_client(project: Path, work_dir: Path) -> RuntimeInterfaceClient:
    jars = project / "local" / "runtime" / "target" / "ric"
    found = sorted(jars.glob("aws-lambda-java-runtime-interface-client-*.jar"))
    if not found:
        raise DeployError(
            f"the Lambda runtime interface client is missing from {jars}: "
            "run `mvn -q -B package -pl local/runtime` first"
        )
    return RuntimeInterfaceClient.unpack(found[-1], f"{jars}/*", work_dir / "ric")


class LocalStack:
    def __init__(
        self,
        project: Path,
        work_dir: Path,
        stack_name: str = "hybrid-onboarding",
        template: Path | None = None,
        parameters: dict[str, str] | None = None,
        api_port: int = 0,
        aws_port: int = 0,
        concurrency: int = 4,
        build: bool = False,
        waf_check_interval_s: float = DEFAULT_CHECK_INTERVAL_S,
    ):
        self.project = project
        self.work_dir = work_dir
        self.stack_name = stack_name
        self.template = template or project / "template.yaml"
        self.parameters = parameters or {}
        self.api_port, self.aws_port = api_port, aws_port
        self.concurrency = concurrency
        self.build = build
        self.aws: LocalAws | None = None
        self.lambdas: LambdaService | None = None
        self.apis: list[HttpApi] = []
        self.rest_apis: list[RestApi] = []
        # The model of AWS's IP reputation lists, which every web ACL's managed group reads.
        self.ip_reputation = IpReputation()
        self.waf_check_interval_s = waf_check_interval_s
        self.schedules: Schedules | None = None
        self.pollers: QueuePollers | None = None
        self.control: BurstServer | None = None
        self.stack = None

    def start(self) -> "LocalStack":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.aws = LocalAws(port=self.aws_port)
        self.aws.start()
        deployer = StackDeployer(self.aws.endpoint_url, REGION)
        self.stack = deployer.deploy(
            self.template, self.stack_name, self.parameters, self.work_dir / "build", skip_build=not self.build
        )
        functions = deployer.functions(self.stack, self.work_dir / "build", self.work_dir / "logs")
        aws_env = {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "local",
            "AWS_ENDPOINT_URL": self.aws.endpoint_url,
        }
        # The functions, and what the stack tells them about time, follow the emulator clock, as SSM does.
        self.lambdas = LambdaService(
            functions,
            aws_env,
            runtime_interface_client(self.project, self.work_dir),
            self.concurrency,
            clock=self.aws.clock,
        )
        # A stopCaller fault stops the function that made the call, as a timeout or a crash would on Lambda.
        self.aws.app.caller_stopper = self.lambdas.stop_caller
        for api in deployer.rest_apis(self.stack):
            rest_api = self._rest_api(api)
            rest_api.start()
            self.rest_apis.append(rest_api)
        for api in deployer.http_apis(self.stack):
            throttling = api["throttling"]
            bucket = None
            if throttling.get("ThrottlingRateLimit") is not None:
                bucket = TokenBucket(
                    float(throttling["ThrottlingRateLimit"]), int(throttling.get("ThrottlingBurstLimit", 1))
                )
            http_api = HttpApi(
                api["apiId"],
                ACCOUNT_ID,
                REGION,
                [route_of(k, uri) for k, uri in api["routes"]],
                self.lambdas,
                bucket,
                self.aws.clock,
                port=self._next_api_port(),
            )
            http_api.start()
            self.apis.append(http_api)
        self.schedules = Schedules(deployer.schedules(), self.lambdas)
        self.schedules.start()
        self.pollers = QueuePollers(
            deployer.event_source_mappings(), self.lambdas, self.aws.endpoint_url, REGION, ACCOUNT_ID, self.aws.clock
        )
        self.pollers.start()
        self.control = self._control_server()

    def _next_api_port(self) -> int:
        """The port asked for goes to the first API served; the others take any free port."""
        return 0 if self.rest_apis or self.apis else self.api_port

    def _rest_api(self, api: dict[str, Any]) -> RestApi:
        """A REST API as the deployer read it back; what the local stack cannot serve as deployed fails the start."""
        try:
            return RestApi(
                api["apiId"],
                ACCOUNT_ID,
                REGION,
                [
                    RestMethod(m["resourceId"], m["path"], m["httpMethod"], function_arn_of(m["uri"]))
                    for m in api["methods"]
                ],
                [
                    RestStage(stage["name"], stage["methodSettings"], stage["variables"], self._web_acl(stage))
                    for stage in api["stages"]
                ],
                GatewayResponses(api["gatewayResponses"]),
                api["binaryMediaTypes"],
                self.lambdas,
                self.aws.clock,
                port=self._next_api_port(),
            )
        except (UnsupportedRule, ValueError) as unsupported:
            raise DeployError(f"REST API {api['logicalId']}: {unsupported}") from unsupported

    def _web_acl(self, stage: dict[str, Any]) -> WebAcl | None:
        if not stage["webAcl"]:
            return None
        return WebAcl(stage["webAcl"], stage["ipSets"], self.ip_reputation, self.waf_check_interval_s)

    @property
    def api_url(self) -> str:
        """The base URL machines call: a REST API's first stage (its name is part of the path), else an HTTP API."""
        if self.rest_apis:
            api = self.rest_apis[0]
            return api.url(api.stage_names[0])
        return self.apis[0].url if self.apis else ""

    @property
    def web_acls(self) -> list[WebAcl]:
        return [stage.web_acl for api in self.rest_apis for stage in api.stages.values() if stage.web_acl]

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control.server_address[1]}" if self.control else ""

    def refill_api_throttles(self) -> None:
        """Every stage's token bucket back to full: a test that counts on the stage's limits starts from a known
        state, whatever the tests before it sent."""
        for api in self.apis:
            if api.throttle:
                api.throttle.refill()
        for rest_api in self.rest_apis:
            rest_api.refill()

    def state(self) -> dict[str, Any]:
        """What scripts, the admin CLI and the integration tests need to drive the stack."""
        return {
            "region": REGION,
            "accountId": ACCOUNT_ID,
            "endpointUrl": self.aws.endpoint_url,
            "stackName": self.stack_name,
            "apiUrl": self.api_url,
            "controlUrl": self.control_url,
            "outputs": self.stack.outputs,
            "functions": {
                pool.function.logical_id: {
                    "name": pool.function.name,
                    "logFile": str(pool.function.log_file),
                    "accessKeyId": function_credentials(pool.function)[0],
                }
                for pool in self.lambdas.pools.values()
            },
            "pid": os.getpid(),
        }

    def _control_server(self) -> BurstServer:
        """GET /health; GET /functions: each function's cold starts and its environments' phases (init, restore
        hooks, first and warm invocations); POST /functions/LOGICAL_ID/environments: one more environment, taken
        through init (and SnapStart's hooks) with no invocation, answering its phases; POST /apis/throttle/refill;
        POST /waf/reset: every web ACL forgets its rate counts; GET and PUT /waf/ip-reputation {"addresses": [...]}:
        the model of AWS's IP reputation list; POST /schedules/NAME/tick."""
        stack = self

        class Control(LoopbackHandler):
            def do_GET(self) -> None:
                if self.path == "/health":
                    self.reply(200, {"ok": True})
                elif self.path == "/waf/ip-reputation":
                    self.reply(200, {"addresses": stack.ip_reputation.addresses})
                elif self.path == "/functions":
                    self.reply(
                        200,
                        {
                            p.function.logical_id: {
                                "name": p.function.name,
                                "coldStarts": p.cold_starts,
                                "snapStart": p.function.snap_start,
                                "environments": p.phases(),
                            }
                            for p in stack.lambdas.pools.values()
                        },
                    )
                else:
                    self.reply(404, {"message": "Not Found"})

            def do_POST(self) -> None:
                parts = self.path.strip("/").split("/")
                if len(parts) == 3 and parts[0] == "functions" and parts[2] == "environments":
                    self.prepare_environment(parts[1])
                elif parts == ["apis", "throttle", "refill"]:
                    stack.refill_api_throttles()
                    self.reply(
                        200,
                        {
                            "refilled": [api.api_id for api in stack.rest_apis]
                            + [api.api_id for api in stack.apis if api.throttle]
                        },
                    )
                elif parts == ["waf", "reset"]:
                    for acl in stack.web_acls:
                        acl.reset()
                    self.reply(200, {"reset": [acl.name for acl in stack.web_acls]})
                elif len(parts) == 3 and parts[0] == "schedules" and parts[2] == "tick":
                    if parts[1] not in stack.schedules.schedules:
                        self.reply(404, {"message": f"no schedule {parts[1]}"})
                        return
                    try:
                        self.reply(200, {"result": stack.schedules.tick(parts[1])})
                    except InvocationError as error:
                        self.reply(502, {"errorType": error.error_type, "errorMessage": str(error)})
                else:
                    self.reply(404, {"message": "Not Found"})

            def do_PUT(self) -> None:
                if self.path != "/waf/ip-reputation":
                    self.reply(404, {"message": "Not Found"})
                    return
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                    stack.ip_reputation.replace([str(a) for a in body["addresses"]])
                except (ValueError, KeyError, TypeError) as error:
                    self.reply(400, {"message": f'send {{"addresses": [address or CIDR, ...]}}: {error}'})
                    return
                self.reply(200, {"addresses": stack.ip_reputation.addresses})

            def prepare_environment(self, logical_id: str) -> None:
                pool = next((p for p in stack.lambdas.pools.values() if p.function.logical_id == logical_id), None)
                if pool is None:
                    self.reply(404, {"message": f"no function {logical_id}"})
                    return
                try:
                    self.reply(201, pool.prepare_environment())
                except InvocationError as error:
                    self.reply(502, {"errorType": error.error_type, "errorMessage": str(error)})

        return serve(Control, "control")

    def stop(self) -> None:
        for stoppable in (self.schedules, self.pollers):
            if stoppable:
                stoppable.stop()
        for api in [*self.rest_apis, *self.apis]:
            api.stop()
        if self.control:
            self.control.shutdown()
            self.control.server_close()
        if self.lambdas:
            self.lambdas.stop()
        if self.aws:
            self.aws.stop()
