using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Fabric.Appliance.Tests.Hosting;

/// <summary>Log event IDs lie in one range per assembly (Directory.Build.props) and are unique within it.</summary>
public sealed class LogEventIdTests
{
    public static TheoryData<string, int> Ranges => new()
    {
        { "Fabric.Dhcp", 1000 },
        { "Fabric.Tftp", 2000 },
        { "fabric-appliance", 3000 },
        { "Fabric.Registry", 4000 },
        { "Fabric.Boot", 5000 },
        { "Fabric.Remote", 6000 },
        { "Fabric.Jobs", 7000 },
        { "Fabric.Storage", 8000 },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void LoggerMessages_Assembly_IdsInItsRangeAndUnique(string assemblyName, int start)
    {
        var assembly = Assembly.Load(assemblyName);
        var messages = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.Name}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.All(messages, m => Assert.InRange(m.Attribute!.EventId, start, start + 999));
        var repeated = messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}");
        Assert.Empty(repeated);
    }

    [Fact]
    public void LoggerMessages_ApplianceAndServers_SomeFound()
    {
        foreach (var name in new[] { "Fabric.Dhcp", "Fabric.Tftp", "fabric-appliance", "Fabric.Boot" })
        {
            Assert.Contains(Assembly.Load(name).GetTypes().SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly)),
                m => m.GetCustomAttribute<LoggerMessageAttribute>() is not null);
        }
    }
}
