namespace Fabric.Boot.Rendering;

/// <summary>Turns plain records into Handlebars data with camelCase keys.</summary>
internal static class TemplateData
{
    public static Dictionary<string, object> From(object record)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var property in record.GetType().GetProperties())
        {
            if (property.GetIndexParameters().Length != 0)
            {
                continue;
            }

            var value = property.GetValue(record);
            result[CamelCase(property.Name)] = value switch
            {
                null => string.Empty,
                string s => s,
                System.Collections.IEnumerable list => list.Cast<object>().Select(From).ToArray(),
                _ => value.ToString() ?? string.Empty,
            };
        }

        return result;
    }

    private static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
