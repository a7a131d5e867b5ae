using Fabric.Appliance.Hosting;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
var problems = builder.AddFabricAppliance();
if (problems.Count > 0)
{
    return CannotStart(problems);
}

builder.Services.AddFabricDhcp(builder.Configuration);
builder.Services.AddFabricTftp(builder.Configuration);
builder.Services.AddFabricWeb(builder.Configuration);

var app = builder.Build();
try
{
    // Options registered after the settings check (ValidateOnStart) are validated here, before the host starts, so
    // their problems are printed as lines below rather than logged by the host with a stack trace.
    app.Services.GetService<IStartupValidator>()?.Validate();
    app.MapFabricAppliance();
    app.MapFabricWeb();
    await app.RunAsync();
}
catch (Exception e) when (SettingsCheck.Describe(e) is { } lines)
{
    return CannotStart(lines);
}

return 0;

// Start-up problems are the operator's to fix: one line each, naming the key or the file, and status 2 (the systemd
// unit does not restart on it). Anything else is a bug and keeps its stack trace.
static int CannotStart(IReadOnlyList<string> problems)
{
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"fabric-appliance: {problem}");
    }

    return 2;
}

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
