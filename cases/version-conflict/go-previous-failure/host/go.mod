module example.com/app

go 1.19

require example.com/shared v1.0.0

replace example.com/shared => ../shared-v1.0.0
