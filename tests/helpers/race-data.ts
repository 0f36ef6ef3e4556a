/** The message data of the races the rule tests expect, built from the lines that differ. */
/** The data of a read-then-write race in Promise.all tasks mapped over an array, awaiting on the line after the read. */
export const taskRace = ({
  kind = 'Map',
  name,
  read,
  write = read + 2,
  awaitLine = read + 1,
  advice,
}: {
  kind?: string;
  name: string;
  read: number;
  write?: number;
  awaitLine?: number;
  advice: string;
}) => ({
  kind,
  name,
  readLine: read,
  writeLine: write,
  suspension: 'an await',
  awaitLine,
  source: 'Promise.all tasks',
  writer: 'while other tasks write it',
  advice,
});
