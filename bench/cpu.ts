import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of the times in /proc/<pid>/stat: 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** The CPU milliseconds (user + system, all threads) the process has used so far. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count from its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [fields[14 - 3], fields[15 - 3]].map(Number);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** The process's peak resident set (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) / 1024;
}
