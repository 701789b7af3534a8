export { NamespaceTarget, RegistryCredentialsArgs, RegistryLogin } from "./args";
export { DOCKER_HUB_SERVER, ResolvedLogin, encodeDockerConfig } from "./dockerConfig";
export { REGISTRY_CREDENTIALS_TYPE, RegistryCredentials } from "./registryCredentials";
export { VerifyLoginsOptions, VerifyLoginsSetting } from "./verifyLogins";
