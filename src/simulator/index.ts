export { createSimulatorState, SIMULATOR_DEFAULTS, type SimulatorOptions, simulatorPlugin, startSimulatorServer } from './simulator.js'
export { SimulatorState } from './state.js'
export { MAGIC_RECIPIENTS } from './graph-error.js'
