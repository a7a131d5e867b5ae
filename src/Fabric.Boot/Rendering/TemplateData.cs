using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace Fabric.Boot.Rendering;

/// <summary>Turns plain records into Handlebars data with camelCase keys: strings stay strings, lists become
/// arrays of dictionaries, null becomes the empty string.</summary>
internal static class TemplateData
{
    private static readonly ConcurrentDictionary<Type, (string Key, PropertyInfo Property)[]> Properties = new();

    public static Dictionary<string, object> From(object record)
    {
        var properties = Properties.GetOrAdd(record.GetType(), static type => type
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .Select(p => (CamelCase(p.Name), p))
            .ToArray());

        var result = new Dictionary<string, object>(properties.Length, StringComparer.Ordinal);
        foreach (var (key, property) in properties)
        {
            var value = property.GetValue(record);
            result[key] = value switch
            {
                null => string.Empty,
                string s => s,
                IEnumerable list => list.Cast<object>().Select(From).ToArray(),
                _ => value.ToString() ?? string.Empty,
            };
        }

        return result;
    }

    private static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
