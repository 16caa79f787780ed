#!/bin/bash
# LocalStack runs this once it is ready (mounted by docker-compose.yml).
# The lessons create everything they need themselves, with unique names, and delete it
# afterwards, so nothing is seeded here: this hook only tells the room that the emulator is up.
echo "No toca BOTÓN: LocalStack is ready. Point the workshop at it with AWS_ENDPOINT_URL=http://localhost:4566"
