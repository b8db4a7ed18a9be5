using System.Buffers;

namespace Tollgate.Gateway;

/// <summary>Reads a provider's answer into memory, never more than a limit: a provider cannot make a node hold gigabytes.</summary>
public static class UpstreamBody
{
    public static async Task<byte[]> ReadAsync(HttpContent content, long maxBytes, CancellationToken ct)
    {
        var declared = content.Headers.ContentLength;
        if (declared > maxBytes) throw new UpstreamTooLargeException(maxBytes);
        await using var stream = await content.ReadAsStreamAsync(ct);
        if (declared is { } length)
        {
            // The usual case: the size is known (HttpClient holds the body to it), so it is read straight into one array.
            var exact = new byte[length];
            await stream.ReadExactlyAsync(exact, ct);
            return exact;
        }

        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var buffer = new MemoryStream();
            int read;
            while ((read = await stream.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > maxBytes) throw new UpstreamTooLargeException(maxBytes);
                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}

/// <summary>A provider's answer went past <c>Gateway:MaxResponseBytes</c>; reading stopped there.</summary>
public sealed class UpstreamTooLargeException(long maxBytes)
    : IOException($"The provider's answer is larger than Gateway:MaxResponseBytes ({maxBytes} bytes).");
