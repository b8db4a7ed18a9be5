namespace Tollgate.Gateway;

/// <summary>Reads a provider's answer into memory, never more than a limit: a provider cannot make a node hold gigabytes.</summary>
public static class UpstreamBody
{
    public static async Task<byte[]> ReadAsync(HttpContent content, long maxBytes, CancellationToken ct)
    {
        if (content.Headers.ContentLength is { } declared && declared > maxBytes) throw new UpstreamTooLargeException(maxBytes);
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream(content.Headers.ContentLength is { } length ? (int)length : 16 * 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new UpstreamTooLargeException(maxBytes);
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

/// <summary>A provider's answer went past <c>Gateway:MaxResponseBytes</c>; reading stopped there.</summary>
public sealed class UpstreamTooLargeException(long maxBytes)
    : IOException($"The provider's answer is larger than Gateway:MaxResponseBytes ({maxBytes} bytes).");
