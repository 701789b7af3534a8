export { NamespaceTarget, RegistryCredentialsArgs, RegistryLogin } from "./args";
export { LabelSelector, LabelSelectorRequirement } from "./namespaceSelector";
export { DOCKER_HUB_SERVER, ResolvedLogin, decodeAuth, encodeDockerConfig } from "./dockerConfig";
export { AuditFinding, AuditReport, AuditRequest, auditCluster } from "./audit";
export { REGISTRY_CREDENTIALS_TYPE, RegistryCredentials } from "./registryCredentials";
export { VerifyLoginsOptions, VerifyLoginsSetting } from "./verifyLogins";

// For programs that read the arguments from config, as this repository's
// stacks do: the component's own checks, and the pieces its messages are
// made of, so that a config error reads like the component's.
export { Problem, problemList } from "./problems";
export { validateArgs } from "./validateArgs";
export { describe, isPlainObject, kindOf } from "./describeValue";
export { closest } from "./closest";
export { currentContext, definesContext, kubeconfigFileFor, kubeconfigFiles } from "./kubeconfig";
