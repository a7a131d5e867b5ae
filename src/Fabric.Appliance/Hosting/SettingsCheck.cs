using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Hosting;

/// <summary>Start-up problems, each one line naming the key or the file. The process prints them and exits with status 2.</summary>
public sealed class StartupProblemException(IReadOnlyList<string> problems) : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Checks every listed settings section before the host is built: values that do not convert to their
/// type, then each section's validator. Every problem of every section is returned, not the first.</summary>
public static class SettingsCheck
{
    /// <summary>The validated values of every listed section, by options type, or the problems.</summary>
    public static (IReadOnlyDictionary<Type, object> Values, IReadOnlyList<string> Problems) Run(IServiceCollection services, IConfiguration configuration)
    {
        var problems = new List<string>();
        var values = new Dictionary<Type, object>();
        var sections = services.Select(d => d.ImplementationInstance).OfType<SettingsSection>().DistinctBy(s => s.OptionsType).ToList();
        var malformed = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in sections)
        {
            foreach (var (key, problem) in SettingsShape.Problems(configuration, section))
            {
                problems.Add(problem);
                malformed[key] = null;
            }
        }

        // The validators still run on everything else: values that would not convert are hidden from the binder (they
        // bind as empty here), so one bad number does not hide the other problems.
        var probeConfiguration = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(malformed).Build();
        var probe = new ServiceCollection();
        foreach (var descriptor in services.Where(d => d.ServiceType != typeof(IConfiguration)))
        {
            ((ICollection<ServiceDescriptor>)probe).Add(descriptor);
        }

        probe.AddSingleton<IConfiguration>(probeConfiguration);
        using var provider = probe.BuildServiceProvider();
        foreach (var section in sections)
        {
            try
            {
                var accessor = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(section.OptionsType));
                values[section.OptionsType] = accessor.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(accessor)!;
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is OptionsValidationException invalid)
            {
                // A hidden value may fail its validator as a default: its conversion problem already names the key.
                problems.AddRange(invalid.Failures.Where(f => !malformed.Keys.Any(k => f.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase))));
            }
        }

        return (values, problems.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>The validated value of <typeparamref name="T"/> from the check, or null when the check has not run.</summary>
    public static T? Validated<T>(this IServiceCollection services)
        where T : class =>
        services.LastOrDefault(d => d.ServiceType == typeof(ValidatedSettings))?.ImplementationInstance is ValidatedSettings v
        && v.Values.TryGetValue(typeof(T), out var value) ? (T)value : null;

    /// <summary>The lines to print for an exception that is a start-up problem (a port taken between the check and the bind,
    /// an invalid option found on start), or null for anything else, which is a bug and keeps its stack trace.</summary>
    public static IReadOnlyList<string>? Describe(Exception exception) => exception switch
    {
        StartupProblemException p => p.Problems,
        OptionsValidationException o => o.Failures.ToList(),
        AggregateException a when a.InnerExceptions.Select(Describe).ToList() is var all && all.All(d => d is not null) =>
            all.SelectMany(d => d!).Distinct(StringComparer.Ordinal).ToList(),
        IOException { InnerException: AddressInUseException } io => [$"Urls: {io.Message}"],
        _ => null,
    };
}

/// <summary>What <see cref="SettingsCheck.Run"/> found valid, for wiring that needs values while services are registered.</summary>
internal sealed record ValidatedSettings(IReadOnlyDictionary<Type, object> Values);
