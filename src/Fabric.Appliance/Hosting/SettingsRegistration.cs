using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Hosting;

/// <summary>A configuration section bound to an options type; start-up checks every listed section at once.</summary>
/// <param name="Path">The section's key, e.g. <c>Fabric:Dhcp</c>.</param>
/// <param name="OptionsType">The options class bound from it.</param>
public sealed record SettingsSection(string Path, Type OptionsType);

/// <summary>Registers a feature's settings the one way the appliance reads settings: bound from its configuration
/// section, checked by a validator that reports every problem as one line naming the key, validated on start.</summary>
public static class SettingsRegistration
{
    /// <summary>Binds <typeparamref name="TOptions"/> to <paramref name="section"/>, adds <typeparamref name="TValidator"/>
    /// and validates on start. Adding the same options twice binds them once.</summary>
    public static OptionsBuilder<TOptions> AddFabricSettings<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return services.AddFabricSettings<TOptions>(section).ValidateOnStart();
    }

    /// <summary>Binds <typeparamref name="TOptions"/> to <paramref name="section"/> once and lists the section for the
    /// start-up check, without a validator (for options whose validator is registered elsewhere).</summary>
    public static OptionsBuilder<TOptions> AddFabricSettings<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        var builder = services.AddOptions<TOptions>();
        if (services.Any(d => d.ImplementationInstance is SettingsSection s && s.OptionsType == typeof(TOptions)))
        {
            return builder;
        }

        services.AddSingleton(new SettingsSection(section, typeof(TOptions)));
        return builder.BindConfiguration(section);
    }
}
