export * from './decode.js';
export * from './validate.js';
