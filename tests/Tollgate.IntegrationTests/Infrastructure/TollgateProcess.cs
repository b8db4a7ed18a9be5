using System.Diagnostics;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// Tollgate as its own operating-system process (the built Tollgate.dll, run by <c>dotnet</c>), for what only a real
/// process shows: being killed with SIGKILL and started again on the same database.
/// </summary>
public sealed class TollgateProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly List<string> _output = [];
    readonly SemaphoreSlim _lineArrived = new(0);

    const string Listening = "Tollgate is listening on ";

    TollgateProcess(Process process) => _process = process;

    /// <summary>
    /// Where the process listens: it binds port 0 and this is read from the address it prints, so no other process can
    /// take a port between a test choosing it and Tollgate binding it (and a readiness probe never reaches a stranger).
    /// </summary>
    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<TollgateProcess> StartAsync(string connectionString, string adminKey, params string[] settings)
    {
        var dll = typeof(TollgateApp).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The gateway's journal is one per database: a process started again on the same database finds what the one
        // before it journaled, and processes on other databases, run beside it, never share (or lock) one.
        var journal = Path.Combine(Path.GetTempPath(), "tollgate-journal-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(connectionString)))[..16]);
        foreach (var arg in (string[])[dll, "serve", "--urls", "http://127.0.0.1:0", $"--Storage:ConnectionString={connectionString}",
                     "--Logging:LogLevel:Default=Warning", $"--Gateway:Journal:Directory={journal}", .. settings])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TOLLGATE_ADMIN_KEY"] = adminKey;
        var process = Process.Start(start)!;
        var server = new TollgateProcess(process);
        process.OutputDataReceived += (_, line) => server.Received(line.Data);
        process.ErrorDataReceived += (_, line) => server.Received(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitReadyAsync();
        return server;
    }

    void Received(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Add(line);
        _lineArrived.Release();
    }

    /// <summary>The first line the process printed to standard output after the one matching <paramref name="after"/>, waiting up to 30 s for both.</summary>
    public async Task<string> LineAfterAsync(Func<string, bool> after)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            lock (_output)
            {
                var at = _output.FindIndex(l => after(l));
                if (at >= 0 && at + 1 < _output.Count) return _output[at + 1];
            }

            if (_process.HasExited) break;
            await _lineArrived.WaitAsync(TimeSpan.FromSeconds(1));
        }

        lock (_output) throw new TimeoutException($"No such line in Tollgate's output:\n{string.Join('\n', _output)}");
    }

    /// <summary>SIGKILL: no shutdown, no flushing, no chance to finish anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    async Task WaitReadyAsync()
    {
        using var http = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                string said;
                lock (_output) said = string.Join('\n', _output.TakeLast(20));
                throw new InvalidOperationException($"Tollgate exited with {_process.ExitCode} before it was ready. It said:\n{said}");
            }
            if (BaseAddress is null)
            {
                string? line;
                lock (_output) line = _output.Find(l => l.StartsWith(Listening, StringComparison.Ordinal));
                if (line is null)
                {
                    await _lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200));
                    continue;
                }

                BaseAddress = new Uri(line[Listening.Length..].Split([',', ' '], 2)[0].TrimEnd('.'));
            }

            try
            {
                using var ready = await http.GetAsync(new Uri(BaseAddress, "/health/ready"));
                if (ready.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("Tollgate did not become ready within 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }
}
