"""Operators: the Cognito user pool people sign in to the console with, and the authorizer of the operator API.

Groups are the roles (agent, supervisor, auditor: shared/auth.py says what each may do). The console signs in
with USER_PASSWORD_AUTH (SRP too) on its own public client; systems (an IVR, a CRM) get tokens by the OAuth
client-credentials flow on their own confidential client, with the scope `ventanilla/operator`.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import EnvironmentConfig

ROLES = ("agent", "supervisor", "auditor")
RESOURCE_SERVER = "ventanilla"
SERVICE_SCOPE = "operator"
ROLE_DESCRIPTIONS = {
    "agent": "Contact-centre and office agents: read citizens and cases, attach touchpoints, advance cases",
    "supervisor": "Supervisors: everything agents do, plus merges, splits and identity review decisions",
    "auditor": "Auditors: read only, and the access log of citizen records",
}


class OperatorsConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{Stack.of(self).stack_name}-operators",
            self_sign_up_enabled=False,  # administrators create operators
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            removal_policy=RemovalPolicy.RETAIN if config.removal_policy == "retain" else RemovalPolicy.DESTROY,
        )
        for role in ROLES:
            cognito.CfnUserPoolGroup(
                self,
                f"{role.capitalize()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=role,
                description=ROLE_DESCRIPTIONS[role],
            )
        self.console_client = self.user_pool.add_client(
            "ConsoleClient",
            user_pool_client_name="console",
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            generate_secret=False,  # a browser cannot keep a secret
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
            prevent_user_existence_errors=True,
        )
        scope_ = cognito.ResourceServerScope(scope_name=SERVICE_SCOPE, scope_description="Call the operator API")
        server = self.user_pool.add_resource_server("ResourceServer", identifier=RESOURCE_SERVER, scopes=[scope_])
        self.domain = self.user_pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=config.operator_auth_domain or f"ventanilla-{config.name}".lower()
            ),
        )
        self.service_client = self.user_pool.add_client(
            "ServiceClient",
            user_pool_client_name="operator-systems",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(client_credentials=True),
                scopes=[cognito.OAuthScope.resource_server(server, scope_)],
            ),
            access_token_validity=Duration.hours(1),
        )
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[self.user_pool],
            identity_source="method.request.header.Authorization",
            results_cache_ttl=Duration.minutes(5),
        )
        # The console's API key value, generated once and kept here: CloudFront adds it to the console's API calls
        # (the browser never holds it); API Gateway counts the console's requests against its own usage plan.
        self.console_key_secret = secretsmanager.Secret(
            self,
            "ConsoleApiKey",
            description="Ventanilla operator console's API key value (CloudFront sends it; no browser sees it)",
            encryption_key=key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=40, exclude_punctuation=True, include_space=False
            ),
            removal_policy=config.cdk_removal_policy,
        )
