// The workshop's own guarantee that a LocalStack container never outlives the process that
// started it, with or without Testcontainers' reaper (ryuk): a small detached process that
// watches its parent and, once the parent is gone without having stopped the container
// (kill -9, a crash, a closed terminal), removes every container labelled as the parent's. It
// starts before the first container does, so that one still starting is covered too.
//   node watchdog.mjs <parent pid> <owner label value>      (DOCKER_HOST etc. in the environment)
// Plain JavaScript, so that it starts in a blink without tsx.
import Docker from "dockerode";

// `node watchdog.mjs --now <owner>`: remove them at once (a process that is exiting calls this
// synchronously, so that nothing else, such as a test runner's own exit on a signal, cuts it short).
const now = process.argv[2] === "--now";
const [parentArg, owner] = now ? ["0", process.argv[3]] : process.argv.slice(2);
const parent = Number(parentArg);
const docker = new Docker(); // reads DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH like the docker CLI

// Ctrl-C in the terminal reaches the whole process group: this process must outlive it.
for (const signal of ["SIGINT", "SIGHUP"]) process.on(signal, () => {});

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

while (!now && alive(parent)) await new Promise((resolve) => setTimeout(resolve, 500));
const left = await docker.listContainers({ all: true, filters: { label: [`no-toca-boton.owner=${owner}`] } }).catch(() => []);
await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})));
