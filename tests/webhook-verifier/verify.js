// Reads {"secret", "headers", "body", "now"} on stdin and verifies the webhook with the official Standard Webhooks
// library, as a receiver would: prints the verified payload as JSON and exits 0, or prints the library's error and
// exits 1. "now" (Unix seconds) is the receiver's clock: the tests' server runs on a clock of their own, and the
// library refuses a timestamp more than five minutes from its now.
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, headers, body, now } = JSON.parse(input);
  if (now) Date.now = () => now * 1000;
  try {
    const payload = new Webhook(secret).verify(body, headers);
    process.stdout.write(JSON.stringify(payload));
  } catch (e) {
    process.stdout.write(String(e && e.message ? e.message : e));
    process.exit(1);
  }
});
