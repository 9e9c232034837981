// The console's pages, in the order of the navigation: one module per page (see app.js for what
// a page module provides). A new page is a new file in pages/ and one line here.
import overview from './pages/overview.js';
import cluster from './pages/cluster.js';
import tasks from './pages/tasks.js';
import workflows from './pages/workflows.js';
import schedules from './pages/schedules.js';
import breakers from './pages/breakers.js';
import deadLetters from './pages/dead-letters.js';
import rateLimits from './pages/rate-limits.js';

export default [overview, cluster, tasks, workflows, schedules, breakers, rateLimits, deadLetters];
