export { EtcdHealth, EtcdHealthArgs, EtcdEndpointStatus, FailOn } from "./resource";
export { checkEtcdHealth, EtcdHealthOptions, EtcdHealthInputError } from "./health";
export {
    interpretHealth,
    explainError,
    parseEndpoint,
    validateEtcdHealthInputs,
    EtcdHealthReport,
    EndpointStatus,
    RaisedAlarm,
    HealthLevel,
} from "./logic";
