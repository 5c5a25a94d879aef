export * from './decoded-request.js';
export * from './decode.js';
export * from './validate.js';
export * from './limits.js';
export * from './scan.js';
