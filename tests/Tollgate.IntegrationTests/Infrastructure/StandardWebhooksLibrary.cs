using System.Diagnostics;
using System.Text.Json;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// The official <c>standardwebhooks</c> npm package, run by Node as a receiver runs it (tests/webhook-verifier,
/// installed by test.sh): whether it accepts a received webhook with a secret at the receiver's time <c>now</c>, and the
/// payload or its error.
/// </summary>
public static class StandardWebhooksLibrary
{
    public static async Task<(bool Ok, string Output)> VerifyAsync(string secret, ReceivedWebhook hook, DateTimeOffset now)
    {
        var directory = Path.Combine(RepositoryRoot(), "tests", "webhook-verifier");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "standardwebhooks")))
            throw new InvalidOperationException($"The Standard Webhooks library is not installed in {directory}: run the tests with ./test.sh (or 'npm ci' there).");
        var start = new ProcessStartInfo("node", "verify.js") { WorkingDirectory = directory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(start)!;
        await node.StandardInput.WriteAsync(JsonSerializer.Serialize(new
        {
            secret,
            headers = new Dictionary<string, string?> { ["webhook-id"] = hook.Id, ["webhook-timestamp"] = hook.Timestamp, ["webhook-signature"] = hook.Signature },
            body = hook.Body,
            now = now.ToUnixTimeSeconds(),
        }));
        node.StandardInput.Close();
        var output = await node.StandardOutput.ReadToEndAsync();
        var errors = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode == 0, output + errors);
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tollgate.slnx"))) return dir.FullName;
        }

        throw new InvalidOperationException("The repository root (Tollgate.slnx) is not above the test binaries.");
    }
}
