using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// A bare HTTP server on a loopback socket: notes the request line of every connection (a proxy sees absolute URLs
/// there) and answers each with the same raw response. For tests of what a client connects to, not of HTTP.
/// </summary>
public sealed class RawHttpServer : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly List<string> _received = [];
    readonly CancellationTokenSource _stop = new();
    readonly Func<int, string> _response;
    readonly Task _serving;

    /// <summary><paramref name="response"/> is the raw answer, given the server's port (a redirect may name it).</summary>
    public RawHttpServer(Func<int, string> response)
    {
        _response = response;
        _listener.Start();
        _serving = ServeAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_received) return [.. _received];
        }
    }

    async Task ServeAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var buffer = new byte[65536];
                var read = await stream.ReadAsync(buffer, _stop.Token);
                lock (_received) _received.Add(Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0]);
                await stream.WriteAsync(Encoding.ASCII.GetBytes(_response(Port)), _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }
}
