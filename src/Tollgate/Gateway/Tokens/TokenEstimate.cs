using System.Text;

namespace Tollgate.Gateway.Tokens;

/// <summary>
/// A rough token count, about four bytes of UTF-8 to a token, used only where no provider reports one: the sandbox,
/// and models no tokenizer fits (see <see cref="TokenCounter"/>).
/// </summary>
public static class TokenEstimate
{
    public static int Of(string? text) => string.IsNullOrEmpty(text) ? 0 : Math.Max(1, (Encoding.UTF8.GetByteCount(text) + 3) / 4);

    public static int OfBytes(long bytes) => bytes <= 0 ? 0 : (int)Math.Max(1, (bytes + 3) / 4);
}
