export { createSimulatorState, SIMULATOR_DEFAULTS, simulatorPlugin, startSimulatorServer } from './simulator.js'
export { SimulatorState } from './state.js'
export { MAGIC_RECIPIENTS } from './graph-error.js'
