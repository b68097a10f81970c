import { Foundation1763900000000 } from './1763900000000-foundation';

/** Every migration in order; new ones are appended here. */
export const MIGRATIONS = [Foundation1763900000000];
