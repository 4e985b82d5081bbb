import { balanced } from "./balanced.js";
import { reusePort } from "./reuse-port.js";
import { sharedDescriptors } from "./shared-descriptors.js";
import { chooseAcceptStrategy, type AcceptChoice, type AcceptStrategy, type AcceptStrategyName } from "./strategy.js";

export const ACCEPT_STRATEGIES: Record<AcceptStrategyName, AcceptStrategy> = {
  "reuse-port": reusePort,
  "shared-descriptors": sharedDescriptors,
  balanced,
};

/** The strategy for `--accept choice` on the running Node; `auto` picks by version and platform. */
export function acceptStrategy(choice: AcceptChoice = "auto"): AcceptStrategy {
  return ACCEPT_STRATEGIES[choice === "auto" ? chooseAcceptStrategy(process.version) : choice];
}

export { REUSE_PORT_SOCKETS_TOTAL } from "./reuse-port.js";
export {
  ACCEPT_STRATEGY_NAMES,
  LISTENERS_TOTAL,
  chooseAcceptStrategy,
  hasReusePort,
  isMessage,
  listenersPerWorker,
  type AcceptChoice,
  type AcceptStrategy,
  type AcceptStrategyName,
} from "./strategy.js";
