/** The JobStore contract (job-store-cases.ts) for the embedded SQLite store, on disk. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteJobStore } from '../../src/batch/sqlite-store.js';
import { jobStoreConformance } from './job-store-cases.js';

// One file for every case (cases keep apart by their own ids): reopening it must show what was written.
const path = join(mkdtempSync(join(tmpdir(), 'easel-job-store-')), 'state', 'jobs.db');
jobStoreConformance('SqliteJobStore on disk', async () => new SqliteJobStore(path));
