using System.Diagnostics.CodeAnalysis;

namespace Tollgate.Common;

/// <summary>A value or the expected failure that stopped it; exceptions stay for bugs.</summary>
public readonly struct Result<T>
{
    readonly T? _value;

    Result(T? value, ApiError? error)
    {
        _value = value;
        Error = error;
    }

    public ApiError? Error { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsOk => Error is null;

    public T Value => IsOk ? _value! : throw new InvalidOperationException($"Result holds error '{Error.Code}'.");

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(ApiError error) => new(default, error);

    public Result<TOut> Map<TOut>(Func<T, TOut> map) => IsOk ? map(Value) : Error;
}
