namespace Tollgate.Common;

/// <summary>How enums are written in the database and the API: snake_case names (<c>per_unit</c>, <c>past_due</c>).</summary>
public static class EnumText
{
    public static string Snake<T>(T value) where T : struct, Enum => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    public static T Parse<T>(string value) where T : struct, Enum => Enum.Parse<T>(value.Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
}
