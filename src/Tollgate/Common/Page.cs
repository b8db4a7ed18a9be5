namespace Tollgate.Common;

/// <summary>One page of a list, newest first; pass <see cref="NextCursor"/> back as <c>cursor</c> for the next.</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, bool HasMore, string? NextCursor)
{
    public static Page<T> From(IReadOnlyList<T> rowsPlusOne, int limit, Func<T, string> cursorOf)
    {
        var hasMore = rowsPlusOne.Count > limit;
        var data = hasMore ? rowsPlusOne.Take(limit).ToList() : rowsPlusOne;
        return new(data, hasMore, hasMore ? cursorOf(data[^1]) : null);
    }

    public Page<TOut> Map<TOut>(Func<T, TOut> map) => new(Data.Select(map).ToList(), HasMore, NextCursor);
}

/// <summary>The <c>limit</c> and <c>cursor</c> query parameters of every list endpoint.</summary>
public sealed record PageRequest(int? Limit, string? Cursor)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public int Size => Limit ?? DefaultLimit;

    public ApiError? Check() => Limit is < 1 or > MaxLimit
        ? ApiError.Invalid("limit", $"must be between 1 and {MaxLimit}.")
        : null;
}
