namespace Tollgate.Common;

public static class Clock
{
    /// <summary>Now, cut to whole microseconds: the finest both databases keep, so what we return is what we read back.</summary>
    public static DateTimeOffset Now(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }
}
