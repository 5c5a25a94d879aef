export * from './tier-planner.js';
export * from './runs-routes.js';
export * from './series-route.js';
export * from './errors.js';
export * from './dashboard.js';
export * from './read-access.js';
export * from './read-refusals.js';
