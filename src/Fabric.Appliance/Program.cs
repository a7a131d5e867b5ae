var builder = WebApplication.CreateBuilder(args);
builder.Services.AddFabricTftp(builder.Configuration);
var app = builder.Build();
app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
