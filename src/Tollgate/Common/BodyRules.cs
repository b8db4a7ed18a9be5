using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Tollgate.Common;

/// <summary>
/// Rules every request body obeys as it is bound, not in each handler: no <c>null</c> inside a list or a map
/// (<c>{"events": [null]}</c>, a header map with a null value), and no NUL character (U+0000) in any text, which
/// PostgreSQL cannot store. Free-form JSON (<see cref="JsonNode"/>) is left as sent.
/// </summary>
public static class BodyRules
{
    public static void Apply(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object || type.Type.Assembly != typeof(BodyRules).Assembly) return;
        var checkedProperties = type.Properties.Where(p => p.Get is not null && (p.PropertyType == typeof(string) || IsCollectionOfValues(p.PropertyType))).ToList();
        if (checkedProperties.Count == 0) return;

        var previous = type.OnDeserialized;
        type.OnDeserialized = value =>
        {
            foreach (var property in checkedProperties)
            {
                switch (property.Get!(value))
                {
                    case string text when text.Contains('\0'):
                        throw new BodyRuleException(property.Name, "cannot contain NUL (U+0000).");
                    case IEnumerable items and not string when Problem(items) is { } problem:
                        throw new BodyRuleException(property.Name, problem);
                }
            }

            previous?.Invoke(value);
        };
    }

    static string? Problem(IEnumerable items)
    {
        foreach (var item in items)
        {
            switch (item)
            {
                case null:
                    return "cannot contain null.";
                case string text when text.Contains('\0'):
                    return "cannot contain NUL (U+0000).";
                case DictionaryEntry entry:
                    if (entry.Value is null) return "cannot contain null.";
                    if (entry.Key is string k && k.Contains('\0') || entry.Value is string v && v.Contains('\0')) return "cannot contain NUL (U+0000).";
                    break;
                default:
                    var type = item.GetType();
                    if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
                    {
                        var key = type.GetProperty("Key")!.GetValue(item);
                        var value = type.GetProperty("Value")!.GetValue(item);
                        if (value is null) return "cannot contain null.";
                        if (key is string k2 && k2.Contains('\0') || value is string v2 && v2.Contains('\0')) return "cannot contain NUL (U+0000).";
                        if (value is IEnumerable inner and not string && Problem(inner) is { } innerProblem) return innerProblem;
                    }

                    break;
            }
        }

        return null;
    }

    static bool IsCollectionOfValues(Type type) =>
        type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && !typeof(JsonNode).IsAssignableFrom(type) && type != typeof(JsonElement);
}

/// <summary>A request body broke a <see cref="BodyRules"/> rule; answered as a 400 naming the field.</summary>
public sealed class BodyRuleException(string field, string problem) : JsonException($"'{field}' {problem}")
{
    public string Field { get; } = field;

    public string Problem { get; } = problem;
}
