using System.Collections;
using System.ComponentModel;
using System.Reflection;

namespace Fabric.Appliance.Hosting;

/// <summary>Checks, before binding, that every configured value converts to its property's type, so a value the binder
/// would throw on is one line naming the key (and every such value is reported, not the first).</summary>
internal static class SettingsShape
{
    private const int MaxDepth = 4;

    public static IReadOnlyList<(string Key, string Problem)> Problems(IConfiguration configuration, SettingsSection section)
    {
        var problems = new List<(string, string)>();
        Check(configuration, section.Path, section.OptionsType, problems, 0);
        return problems;
    }

    private static void Check(IConfiguration configuration, string path, Type type, List<(string, string)> problems, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var key = $"{path}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsScalar(propertyType))
            {
                if (property.CanWrite)
                {
                    CheckValue(key, configuration[key], propertyType, problems);
                }
            }
            else if (ElementType(propertyType) is { } element)
            {
                foreach (var child in configuration.GetSection(key).GetChildren())
                {
                    CheckValue($"{key}:{child.Key}", child.Value, element, problems);
                }
            }
            else if (propertyType.IsClass && depth < MaxDepth)
            {
                Check(configuration, key, propertyType, problems, depth + 1);
            }
        }
    }

    private static void CheckValue(string key, string? value, Type type, List<(string, string)> problems)
    {
        if (string.IsNullOrEmpty(value) || type == typeof(string))
        {
            return;
        }

        try
        {
            if (TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value) is not null)
            {
                return;
            }
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException)
        {
        }

        problems.Add((key, $"{key}: '{value}' is not {Describe(type)}"));
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri);

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        var element = type.IsArray
            ? type.GetElementType()
            : type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
        return element is not null && IsScalar(Nullable.GetUnderlyingType(element) ?? element) ? Nullable.GetUnderlyingType(element) ?? element : null;
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(TimeSpan) => "a time span like 00:10:00",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
        _ when type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(byte) => "a whole number of at least 0",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ => $"a {type.Name}",
    };
}
