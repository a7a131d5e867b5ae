namespace Fabric.Boot;

/// <summary>Names of the boot renderer's instruments (meter <c>Fabric.Boot</c>).</summary>
public static class BootMetrics
{
    public const string MeterName = "Fabric.Boot";

    /// <summary>Counter: edited template files refused because they do not parse, tag <c>template</c>.</summary>
    public const string RefusedTemplates = "fabric_boot_template_refused_total";
}
