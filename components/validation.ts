/**
 * The components' validation rules, gathered in one import: the pure rules live in model/rules
 * (one file per concept: DataStore endpoints, network ranges, the control plane's and the worker
 * pool's arguments; Kubernetes versions in model/version.ts). Each rule returns {@link PropertyError}s naming the property path, the rule
 * and the fix; the components collect all of them and report them together.
 */

export { PropertyError } from "../model/rules/propertyError";
export { validateEndpoints } from "../model/rules/endpoints";
export { DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR, validateManagementRanges } from "../model/rules/ranges";
export {
    ControlPlaneValues,
    DEFAULT_KUBELET_ADDRESS_TYPES,
    KUBELET_ADDRESS_TYPES,
    KubeletAddressType,
    SERVICE_TYPES,
    ServiceType,
    validateControlPlane,
} from "../model/rules/controlPlane";
export { REUSE_POLICIES } from "../model/schemas";
export { validateWorkerPool, WorkerHostValues, WorkerPoolValues } from "../model/rules/workerPool";
