// The workshop's own guarantee that a LocalStack container never outlives the process that
// started it, with or without Testcontainers' reaper (ryuk): a small detached process that
// watches its parent and, once the parent is gone without having stopped the container
// (kill -9, a crash, a closed terminal), removes it. It ends as soon as the container is gone.
//   node watchdog.mjs <parent pid> <container id>      (DOCKER_HOST etc. in the environment)
// Plain JavaScript, so that it starts in a blink without tsx.
import Docker from "dockerode";

const [parentArg, containerId] = process.argv.slice(2);
const parent = Number(parentArg);
const docker = new Docker(); // reads DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH like the docker CLI
const container = docker.getContainer(containerId);

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

async function exists() {
  try {
    await container.inspect();
    return true;
  } catch (err) {
    return err.statusCode !== 404;
  }
}

let ticks = 0;
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  if (!alive(parent)) {
    await container.remove({ force: true, v: true }).catch(() => {});
    process.exit(0);
  }
  // Every 5 s: once the parent stopped the container itself, there is nothing left to watch.
  if (++ticks % 10 === 0 && !(await exists())) process.exit(0);
}
