using System.Text.RegularExpressions;

namespace Tollgate.Common;

/// <summary>Collects every field error of a request so the caller sees them all at once.</summary>
public sealed partial class Validation
{
    readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Failed => _errors.Count > 0;

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages)) _errors[field] = messages = [];
        messages.Add(message);
        return this;
    }

    public Validation Text(string field, string? value, bool required, int maxLength = 200)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required) Add(field, "is required.");
        }
        else if (value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters.");
        }

        return this;
    }

    public Validation Email(string field, string? value, bool required)
    {
        Text(field, value, required, 254);
        if (!string.IsNullOrWhiteSpace(value) && !EmailShape().IsMatch(value)) Add(field, "is not an email address.");
        return this;
    }

    /// <summary>Codes name features, metrics and plans: lowercase letters, digits, '_', '-' and '.'.</summary>
    public Validation Code(string field, string? value)
    {
        Text(field, value, required: true, maxLength: 64);
        if (!string.IsNullOrEmpty(value) && !CodeShape().IsMatch(value))
        {
            Add(field, "must start with a lowercase letter and hold only lowercase letters, digits, '_', '-' or '.'.");
        }

        return this;
    }

    public Validation Range(string field, long value, long min, long max)
    {
        if (value < min || value > max) Add(field, $"must be between {min} and {max}.");
        return this;
    }

    public Validation OneOf(string field, string? value, IReadOnlyCollection<string> allowed, bool required = true)
    {
        if (value is null)
        {
            if (required) Add(field, $"is required: one of {string.Join(", ", allowed)}.");
        }
        else if (!allowed.Contains(value))
        {
            Add(field, $"must be one of {string.Join(", ", allowed)}.");
        }

        return this;
    }

    public Validation Metadata(string field, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null) return this;
        if (metadata.Count > 50) Add(field, "may hold at most 50 keys.");
        foreach (var (key, value) in metadata)
        {
            if (key.Length is 0 or > 40) Add($"{field}.{key}", "keys must be 1 to 40 characters.");
            if (value is null) Add($"{field}.{key}", "values must be strings.");
            else if (value.Length > 500) Add($"{field}.{key}", "values must be at most 500 characters.");
        }

        return this;
    }

    public ApiError ToError() => ApiError.Invalid(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailShape();

    [GeneratedRegex(@"^[a-z][a-z0-9_.\-]*$")]
    private static partial Regex CodeShape();
}
